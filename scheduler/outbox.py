"""The outbox sender: drains queued messages for one channel, in order, within its limits.

A channel supplies a ``deliver(address, message)`` coroutine that raises
:class:`RetryLater` (rate limited: wait), :class:`Unreachable` (blocked: stop sending to that
address) or any other exception (a transient failure: retried with backoff, then dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.types import OutboundMessage
from bot.storage.repo import OutboxItem, OutboxRepo, UserRepo

log = logging.getLogger(__name__)

Deliver = Callable[[str, OutboundMessage], Awaitable[None]]


class RetryLater(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Unreachable(Exception):
    """The user blocked us or the address is gone: stop sending to it."""


class OutboxSender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channel: str,
        deliver: Deliver,
        clock: Callable[[], datetime],
        *,
        per_second: float = 25.0,
        max_attempts: int = 5,
        poll_seconds: float = 2.0,
    ) -> None:
        self.sessions = sessions
        self.channel = channel
        self.deliver = deliver
        self.clock = clock
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._paused_until: datetime | None = None
        self._lock = asyncio.Lock()

    def wake(self, channel: str | None = None) -> None:
        if channel in (None, self.channel):
            self._wake.set()

    async def drain(self) -> int:
        """Send everything due now; returns how many were sent."""
        async with self._lock:
            return await self._drain()

    async def _drain(self) -> int:
        sent = 0
        while True:
            now = self.clock()
            if self._paused_until and now < self._paused_until:
                return sent
            async with self.sessions() as session:
                batch = await OutboxRepo(session).due(self.channel, now)
            if not batch:
                return sent
            unreachable: set[str] = set()
            for item in batch:
                if item.address in unreachable:
                    continue  # already dropped with the rest of its queue
                outcome = await self._send_one(item)
                if outcome == "dropped":
                    unreachable.add(item.address)
                if outcome == "sent":
                    sent += 1
                    if self.interval:
                        await asyncio.sleep(self.interval)
                elif outcome == "pause":
                    return sent

    async def _send_one(self, item: OutboxItem) -> str:
        message = OutboundMessage.from_json(item.body["parts"])
        try:
            await self.deliver(item.address, message)
        except RetryLater as e:
            until = self.clock() + timedelta(seconds=e.seconds)
            self._paused_until = until
            log.warning("rate limited on %s: waiting %.0fs", self.channel, e.seconds)
            async with self.sessions() as session, session.begin():
                await OutboxRepo(session).postpone(item.id, until, str(e), give_up=False)
            return "pause"
        except Unreachable as e:
            log.info("%s:%s is unreachable (%s); dropping its queue", self.channel, item.address, e)
            async with self.sessions() as session, session.begin():
                await UserRepo(session).mark_blocked(self.channel, item.address)
                await OutboxRepo(session).drop_pending(self.channel, item.address, str(e))
            return "dropped"
        except Exception as e:
            attempts = item.attempts + 1
            give_up = attempts >= self.max_attempts
            until = self.clock() + timedelta(seconds=2**attempts)
            log.warning("send failed on %s (attempt %d): %r", self.channel, attempts, e)
            async with self.sessions() as session, session.begin():
                await OutboxRepo(session).postpone(item.id, until, repr(e), give_up=give_up)
            # Later messages to the same chat wait, so the order of a conversation holds.
            return "pause"
        async with self.sessions() as session, session.begin():
            await OutboxRepo(session).mark_sent(item.id, self.clock())
        return "sent"

    async def run(self, stop: asyncio.Event) -> None:
        """Drain whenever woken, and every ``poll_seconds`` for postponed messages."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("outbox drain failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
