"""SMS and WhatsApp in ``jkp-bot run``: the gateway, the webhook route, the outbox senders.

Beside Telegram, :meth:`SmsRuntime.attach` puts the webhook on the Telegram runtime's aiohttp
app (one server: ``WEBHOOK_HOST:WEBHOOK_PORT``) and its senders among Telegram's (started,
woken and stopped together). Without a Telegram token, :meth:`SmsRuntime.run` serves the
webhook alone, with the same senders and daily jobs, until SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels.sms.channel import SmsInbound, last_inbound
from bot.channels.sms.delivery import SmsDelivery, WhatsAppDelivery
from bot.channels.sms.gateway import SmsChannel, SmsGateway
from bot.channels.sms.web import add_sms_webhook
from bot.core.domain import Domain
from bot.core.paging import Pager
from bot.core.types import OutboundMessage, Say
from scheduler.outbox import OutboxSender

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.telegram import TelegramRuntime

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 8.0  # as Telegram's: requests and messages in hand are finished
SMS_CHAT_INTERVAL = 1.0  # seconds between messages to one number (parts go within one call)


def offers(domain: Domain, part: Say) -> bool:
    """Whether ``part`` shows numbered options on SMS."""
    return bool(part.choices) or bool(domain.render(OutboundMessage((part,)), "sms").buttons)


def words(domain: Domain, part: Say) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``part``'s text and options on SMS (the pager cuts a part longer than a page)."""
    rendered = domain.render(OutboundMessage((part,)), "sms")
    return rendered.text, tuple((b.title, b.payload) for b in rendered.buttons)


class SmsRuntime:
    """``gateway``: built from the settings unless given; ``per_second`` (default
    ``SMS_PER_SECOND``) and ``chat_interval`` pace the senders (0: unpaced, for tests)."""

    def __init__(
        self,
        app: App,
        gateway: SmsGateway | None = None,
        *,
        per_second: float | None = None,
        chat_interval: float = SMS_CHAT_INTERVAL,
    ) -> None:
        from bot.channels.sms.providers import build_gateway

        self.app = app
        self.per_second = app.settings.sms.per_second if per_second is None else per_second
        self.chat_interval = chat_interval
        settings = app.settings.sms
        self.gateway = gateway or build_gateway(settings)
        self.senders: list[OutboxSender] = []
        domain, clock = app.engine.domain, app.engine.clock
        sms: SmsDelivery | None = None
        if settings.sms_from:
            # One reply goes as one concatenated SMS of up to the turn's budget; a longer
            # one in parts numbered "(1/2)", cut at sentence boundaries.
            sms = SmsDelivery(self.gateway, domain, segments_per_part=settings.segment_budget)
            self.senders.append(self._sender(SmsChannel.SMS, sms))
            # A turn's reply costs at most the budget; the rest waits for LAGI.
            app.engine.pagers[SmsChannel.SMS.value] = Pager(
                sms.segments, settings.segment_budget, partial(offers, domain),
                partial(words, domain),
            )  # fmt: skip
        if settings.whatsapp_enabled:
            whatsapp = WhatsAppDelivery(
                self.gateway, domain, clock=clock, template_sid=settings.whatsapp_template_sid,
                sms=sms, last_inbound=partial(last_inbound, app.db, SmsChannel.WHATSAPP.value),
            )  # fmt: skip
            self.senders.append(self._sender(SmsChannel.WHATSAPP, whatsapp))
        answered = frozenset(SmsChannel(s.channel) for s in self.senders)
        for sender in self.senders:
            app.engine.attach_sender(sender)
        self.inbound = SmsInbound(app, self.gateway, answered)
        self.stop = asyncio.Event()

    def _sender(self, channel: SmsChannel, deliver: SmsDelivery) -> OutboxSender:
        settings = self.app.settings
        return OutboxSender(
            self.app.db, channel.value, deliver, self.app.engine.clock,
            per_second=self.per_second, chat_interval=self.chat_interval,
            lease=timedelta(seconds=settings.outbox_lease_seconds),
            ttl=timedelta(hours=settings.outbox_message_ttl_hours),
        )  # fmt: skip

    @property
    def path(self) -> str:
        return self.app.settings.sms.webhook_path

    def add_routes(self, web_app: web.Application) -> None:
        add_sms_webhook(web_app, self.path, self.gateway, self.inbound)

    def wake(self, channel: str | None = None) -> None:
        for sender in self.senders:
            sender.wake(channel)

    def attach(self, runtime: TelegramRuntime) -> None:
        """Serve beside Telegram: the route on its web app, the senders with its own."""
        runtime.web_routes.append(self.add_routes)
        for sender in self.senders:
            runtime.add_sender(sender)

    async def close(self) -> None:
        await self.gateway.close()

    # -- alone ------------------------------------------------------------------------
    async def run(self) -> None:
        """SMS/WhatsApp without Telegram: the webhook on ``WEBHOOK_HOST:WEBHOOK_PORT``, the
        senders and the daily jobs, until SIGTERM or SIGINT."""
        from scheduler.jobs import build_scheduler

        settings = self.app.settings
        self.app.engine.on_queued = self.wake
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop.set)
        web_app = web.Application()
        self.add_routes(web_app)
        runner = web.AppRunner(web_app, shutdown_timeout=SHUTDOWN_GRACE)
        sender_stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        jobs = build_scheduler(self.app)
        try:
            await runner.setup()
            await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
            tasks = [
                asyncio.create_task(s.run(sender_stop), name=f"outbox-sender-{s.channel}")
                for s in self.senders
            ]
            jobs.start()
            log.info("SMS webhook on %s:%d%s", settings.webhook_host, settings.webhook_port,
                     self.path)  # fmt: skip
            await self.stop.wait()
        finally:
            await runner.cleanup()  # no new message; those in hand finish first
            if jobs.running:
                jobs.shutdown(wait=False)
            sender_stop.set()
            self.wake()
            if tasks:
                _, late = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE)
                for task in late:
                    task.cancel()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            await self.close()
            log.info("stopped")
