"""``jkp-bot scheduler``: the periodic jobs and the outbox senders, alone in a process.

For a deployment with several webhook processes (or none: SMS), one or more processes run
this: the sweeps write (retention purge, monthly updates, counseling timers when counselors
are configured), the senders deliver what any process queued. It receives nothing: no
polling, no webhook, no Telegram runtime; a channel is only its ``deliver`` function
(bot/channels/telegram_delivery.py, later SMS). Several of these processes may run against
one PostgreSQL database: sweeps queue each message once and senders claim rows with a lease.

Stopping (SIGTERM/SIGINT): the jobs stop, each sender finishes the messages it holds (up to
``SHUTDOWN_GRACE`` seconds), exit code 0. After a ``kill -9`` the claims expire
(``OUTBOX_LEASE_SECONDS``) and another process, or this one restarted, sends them.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING

from scheduler.jobs import build_scheduler
from scheduler.monthly import finish_sweeps
from scheduler.outbox import OutboxSender

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
SHUTDOWN_GRACE = 8.0


class SchedulerRuntime:
    def __init__(self, app: App, senders: Sequence[OutboxSender]) -> None:
        self.app = app
        self.senders = list(senders)
        for sender in self.senders:
            app.engine.attach_sender(sender)
        self.stop = asyncio.Event()
        self.jobs = build_scheduler(app, self.stop)
        if app.settings.counseling.chat_id is not None:
            from scheduler.counseling import add_counseling_jobs

            add_counseling_jobs(self.jobs, app)
        app.engine.on_queued = self._wake  # a sweep's message goes out at once

    def _wake(self, channel: str | None = None) -> None:
        for sender in self.senders:
            sender.wake(channel)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)
        senders_stop = asyncio.Event()
        tasks = [
            asyncio.create_task(s.run(senders_stop), name=f"outbox-sender-{s.channel}")
            for s in self.senders
        ]
        self.jobs.start()
        log.info("scheduler running: jobs %s; sending on %s",
                 ", ".join(j.id for j in self.jobs.get_jobs()),
                 ", ".join(s.channel for s in self.senders) or "no channel")  # fmt: skip
        try:
            await self.stop.wait()
        finally:
            # A sweep under way ends its batch first: shutting the scheduler down cancels
            # the jobs still running.
            await finish_sweeps(SHUTDOWN_GRACE)
            if self.jobs.running:
                self.jobs.shutdown(wait=False)
            senders_stop.set()
            self._wake()
            if tasks:
                _, late = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE)
                for task in late:
                    task.cancel()
                if late:
                    log.warning("a sender did not finish in %.0f s; its claims expire by "
                                "themselves", SHUTDOWN_GRACE)  # fmt: skip
                    await asyncio.wait(late)
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            log.info("stopped")

    def _on_signal(self, sig: signal.Signals) -> None:
        if not self.stop.is_set():
            log.info("%s: stopping after the messages in hand", sig.name)
        self.stop.set()
