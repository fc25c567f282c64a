"""The outbox sender: claims queued messages of one channel and delivers them, concurrently
across chats, in order within a chat, within the channel's limits.

A channel supplies a ``deliver(address, message)`` coroutine that raises
:class:`RetryLater` (rate limited: wait), :class:`Unreachable` (blocked, deleted: stop sending
to that chat), :class:`Rejected` (this message can never be sent: drop it) or any other
exception (a transient failure: a network error, a 5xx, a timeout).

Guarantees:
- **At least once, in order per chat.** Rows are claimed with a lease before sending
  (bot/storage/outbox.py), so several senders deliver each message once; a message sent just
  before a crash may be sent again once the lease expires.
- **Transient failures never lose a message** while it is still useful: the chat waits with
  capped exponential backoff and jitter (up to ``max_backoff``) until the message is older
  than ``ttl`` (``OUTBOX_MESSAGE_TTL``), then it is given up visibly (logged, counted as
  ``expired``). Only the failing chat waits; other chats go on.
- **Limits.** A global token bucket (``per_second``) and, per chat, at most ``chat_burst``
  messages at once refilled one per ``chat_interval`` seconds (Telegram: about one message
  per second per chat, short bursts allowed). ``retry_after`` is honoured for the chat, and
  for the whole channel when a second chat is told to wait within the same period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.types import OutboundMessage
from bot.storage import outbox as store
from bot.storage import people
from bot.storage.db import Database, StorageUnavailable
from bot.storage.outbox import OutboxItem

if TYPE_CHECKING:
    from scheduler.fallback import Fallback

log = logging.getLogger(__name__)

Deliver = Callable[[str, OutboundMessage], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]


class RetryLater(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Unreachable(Exception):
    """The user blocked us or the address is gone: stop sending to it."""


class Rejected(Exception):
    """This message can never be delivered as it is (a permanent 400): drop it alone."""


EPSILON = 1e-6  # tokens: a timestamp's float rounding (a µs clock at 1.7e9 s) is below this
GLOBAL_BURST_SECONDS = 0.1


@dataclass
class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; ``rate`` 0 means no limit."""

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    stamp: float = field(init=False)
    paused_until: float = 0.0

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.stamp = self.clock()

    def delay(self) -> float:
        """Seconds to wait before the next token; takes it when 0."""
        now = self.clock()
        if now < self.paused_until:
            return self.paused_until - now
        if self.rate <= 0:
            return 0.0
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1 - EPSILON:  # a clock's rounding must not leave a token unpaid
            self.tokens = max(0.0, self.tokens - 1)
            return 0.0
        return (1 - self.tokens) / self.rate

    def peek(self) -> float:
        """Seconds to wait before the next token, without taking it."""
        now = self.clock()
        if now < self.paused_until:
            return self.paused_until - now
        if self.rate <= 0:
            return 0.0
        tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        return 0.0 if tokens >= 1 - EPSILON else (1 - tokens) / self.rate

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.clock() + seconds)


@dataclass
class SenderStats:
    sent: int = 0
    retried: int = 0
    dropped: int = 0
    expired: int = 0
    rate_limited: int = 0


class OutboxSender:
    def __init__(
        self,
        db: Database,
        channel: str,
        deliver: Deliver,
        clock: Callable[[], datetime],
        *,
        per_second: float = 25.0,
        chat_interval: float = 1.0,
        chat_burst: int = 3,
        ttl: timedelta = timedelta(hours=24),
        max_backoff: float = 300.0,
        lease: timedelta = timedelta(seconds=30),
        batch: int = 100,
        poll_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        on_unreachable: Callable[[str, str], Awaitable[None]] | None = None,
        fallback: Fallback | None = None,
    ) -> None:
        self.db = db
        self.channel = channel
        self.deliver = deliver
        self.clock = clock
        # The global bucket saves up a tenth of a second: a whole second (25 at once after a
        # pause, then 25 a second) goes over Telegram's ~30 in any second (429s).
        self.bucket = TokenBucket(per_second, max(1.0, per_second * GLOBAL_BURST_SECONDS),
                                  monotonic)  # fmt: skip
        self.chat_interval = chat_interval
        self.chat_burst = chat_burst
        self.ttl = ttl
        self.max_backoff = max_backoff
        self.lease = lease
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.monotonic = monotonic
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.on_unreachable = on_unreachable
        self.fallback = fallback  # essential messages of an unreachable chat go elsewhere
        self.owner = f"{channel}-{uuid.uuid4().hex[:12]}"
        self.stats = SenderStats()
        self._chats: dict[str, TokenBucket] = {}
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        # Waiting for the global bucket in turn (asyncio.Lock is first come, first served):
        # with a hundred chats waiting, a chat that keeps losing the race for the next
        # token could wait past its claim's lease, be claimed again and sent twice.
        self._turn = asyncio.Lock()
        self._last_429 = -1e9
        # Messages a turn of this process queued already claimed for this sender
        # (bot/storage/outbox.py ``chat_is_clear``) come through :meth:`take`.
        self.accepting = False  # while :meth:`run` runs
        self._inflight: dict[asyncio.Task[None], int] = {}  # chat tasks, their claimed count
        self._queues: dict[str, list[OutboxItem]] = {}  # the chats being sent, in order
        self._waiting: set[str] = set()  # chats whose last message could not go: not handed
        self._give_back: list[int] = []  # handed while their chat waits: released, claimed
        self._dirty = True  # something was queued that nobody claimed yet
        # Group commit of sent marks: chats that finish while a mark is being written share
        # the next transaction (:meth:`_mark_sent`).
        self._marks: list[int] = []
        self._orphans: set[int] = set()  # sent ids queued for nobody: deleted when marked
        self._marked: asyncio.Future[None] | None = None  # done when ``_marks`` are written
        self._marker: asyncio.Task[None] | None = None

    def wake(self, channel: str | None = None) -> None:
        if channel in (None, self.channel):
            self._dirty = True
            self._wake.set()

    def take(self, items: list[OutboxItem]) -> None:
        """Messages a turn just queued, already claimed for this sender: sent at once, after
        what their chat has in flight here. A chat that is waiting (a 429, an outage) gets
        them back as ordinary queued messages, to go behind its earlier ones."""
        for chat in _by_chat(items):
            key = chat[0].chat_key
            if (queue := self._queues.get(key)) is not None:
                queue.extend(chat)
            elif key in self._waiting or not self.accepting:
                self._give_back.extend(item.id for item in chat)
            else:
                self._start(chat)
        self._wake.set()

    def _start(self, chat: list[OutboxItem]) -> None:
        self._inflight[asyncio.create_task(self._send_chat(chat))] = len(chat)

    # -- the loop ---------------------------------------------------------------------
    async def drain(self) -> int:
        """Send everything due now (claims in rounds until none is left); returns how many
        messages were sent."""
        async with self._lock:
            before = self.stats.sent
            while True:
                items = await self._claim(self.batch)
                if not items:
                    return self.stats.sent - before
                await self._send_all(items)

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set: what turns hand over (:meth:`take`), what is queued
        otherwise when woken, and every ``poll_seconds`` what was postponed. While chats are
        in flight, more are claimed as soon as there is room (a pipeline), so the rate limit,
        not a round trip, sets the pace. On stop, the messages in hand are finished first."""
        inflight = self._inflight
        failures = 0
        claim_now = True  # at start: whatever is queued
        recheck = False  # a claim ran beside chats in flight: their end may free rows
        self.accepting = True
        try:
            while not stop.is_set():
                self._wake.clear()
                await self._release_handed()
                room = self.batch - sum(inflight.values())
                items: list[OutboxItem] = []
                if (claim_now or self._dirty) and room >= max(1, self.batch // 4):
                    claim_now = self._dirty = False
                    recheck = bool(inflight)
                    try:
                        items = await self._claim(room)
                        failures = 0
                    except StorageUnavailable as e:
                        failures += 1
                        claim_now = True
                        log.warning("outbox: database unavailable (%s); trying again", e)
                    except Exception:
                        failures += 1
                        claim_now = True
                        log.exception("outbox claim failed")
                for chat in _by_chat(items):
                    self._start(chat)
                if items and len(items) >= room:
                    claim_now = True
                    continue  # there may be more, and room for them
                # (fewer than asked: the queue is empty for now; a wake meanwhile is still set)
                wake = asyncio.ensure_future(self._wake.wait())
                stopping = asyncio.ensure_future(stop.wait())
                done, _ = await asyncio.wait(
                    {*inflight, wake, stopping},
                    timeout=self.poll_seconds * min(2**failures, 16),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                wake.cancel()
                stopping.cancel()
                if not done:
                    claim_now = True  # the poll: postponed messages may be due
                for task in [t for t in inflight if t in done]:
                    del inflight[task]
                    self._report(task)
                    claim_now = claim_now or recheck
        finally:
            self.accepting = False
        while inflight:
            await asyncio.wait(list(inflight))
            for task in [t for t in inflight if t.done()]:
                del inflight[task]
                self._report(task)
        with contextlib.suppress(StorageUnavailable):
            await self._release_handed()

    async def _release_handed(self) -> None:
        if ids := self._give_back:
            self._give_back = []
            async with self.db.write() as conn:
                await store.release(conn, ids)
            self._dirty = True

    @staticmethod
    def _report(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            # Claims not settled stay leased until they expire, then go again.
            log.warning("outbox chat task failed: %r", error)

    async def _claim(self, limit: int) -> list[OutboxItem]:
        now = self.clock()
        async with self.db.write() as conn:
            return await store.claim(
                conn, self.channel, now, owner=self.owner, until=now + self.lease, limit=limit
            )

    async def _send_all(self, items: list[OutboxItem]) -> None:
        await asyncio.gather(*(self._send_chat(chat) for chat in _by_chat(items)))

    # -- one chat ---------------------------------------------------------------------
    async def _send_chat(self, items: list[OutboxItem]) -> None:
        """A chat's claimed messages, one after the other (and those handed for the chat
        meanwhile, :meth:`take`); on the first that cannot go now, the rest are given back
        (they wait behind it). Sent messages are marked before any wait and at the end,
        with other chats' in one transaction (:meth:`_mark_sent`); a crash in between sends
        again only what was sent in that instant (at least once, as the lease promises)."""
        key = items[0].chat_key
        queue = self._queues[key] = list(items)
        bucket = self._chats.setdefault(
            key,
            TokenBucket(1 / self.chat_interval if self.chat_interval else 0, self.chat_burst,
                        self.monotonic),
        )  # fmt: skip
        sent: list[int] = []
        rest: list[int] = []
        waits = False
        try:
            index = 0
            while index < len(queue):
                if sent and (bucket.peek() > 0 or self.bucket.peek() > 0):
                    await self._mark_sent(sent)
                if not await self._send_one(queue[index], bucket, sent):
                    rest = [i.id for i in queue[index + 1 :]]
                    waits = True
                    break
                index += 1
        finally:
            if self._queues.get(key) is queue:
                del self._queues[key]  # (before any wait: what is handed now starts anew)
            if waits:
                self._waiting.add(key)
            else:
                self._waiting.discard(key)
            with contextlib.suppress(StorageUnavailable):
                await self._mark_sent(sent)
                if rest:
                    async with self.db.write() as conn:
                        await store.release(conn, rest)
        if len(self._waiting) > 10_000:
            self._waiting.clear()  # bounded (chat_is_clear still sees a postponed row)
        if bucket.tokens >= bucket.burst and len(self._chats) > 10_000:
            self._chats.pop(key, None)  # bounded memory for idle chats

    async def _mark_sent(self, sent: list[int]) -> None:
        """Mark these messages sent (and empty ``sent``), returning once written. Chats
        that finish while a mark is being written share the next transaction (a group
        commit: with many chats at once, one transaction marks many)."""
        if not sent:
            return
        self._marks.extend(sent)
        sent.clear()
        if self._marked is None:
            self._marked = asyncio.get_running_loop().create_future()
            self._marked.add_done_callback(_retrieve)
        marked = self._marked
        if self._marker is None or self._marker.done():
            self._marker = asyncio.create_task(self._write_marks())
        await asyncio.shield(marked)

    async def _write_marks(self) -> None:
        while self._marks:
            ids, marked = self._marks, self._marked
            self._marks, self._marked = [], None
            assert marked is not None
            orphans = [i for i in ids if i in self._orphans]
            self._orphans.difference_update(orphans)  # (sent again later: added again)
            try:
                # (with no row of nobody to delete, the mark is one statement: it needs no
                # transaction of its own, Database.single)
                async with self.db.write() if orphans else self.db.single() as conn:
                    await store.mark_sent(conn, ids, self.clock(), orphans=orphans)
            except Exception as e:
                # Each waiting chat sees the error; the rows stay claimed until their lease
                # expires, then go again (at least once).
                marked.set_exception(e)
            else:
                marked.set_result(None)
            finally:
                if not marked.done():  # cancelled (the loop is closing): nobody waits for ever
                    marked.cancel()

    async def _wait_for(self, bucket: TokenBucket) -> None:
        while (delay := bucket.delay()) > 0:
            await self.sleep(delay)

    async def _send_one(self, item: OutboxItem, chat: TokenBucket, sent: list[int]) -> bool:
        """Deliver one message and record the outcome (a sent one's id goes to ``sent``, to be
        marked by the caller); False when the chat must wait."""
        now = self.clock()
        if item.expires_at is not None and now >= item.expires_at:
            await self._give_up(item, store.EXPIRED, "no longer useful")
            return True
        await self._wait_for(chat)
        async with self._turn:
            await self._wait_for(self.bucket)
        try:
            await self.deliver(item.address, item.message)
        except RetryLater as e:
            self.stats.rate_limited += 1
            mono = self.monotonic()
            if mono - self._last_429 < max(1.0, e.seconds):  # a second chat told to wait
                self.bucket.pause(e.seconds)
            self._last_429 = mono
            log.warning("rate limited on %s: chat waits %.0fs", self.channel, e.seconds)
            await self._postpone(item, e.seconds, str(e), count=False)
            return False
        except Unreachable as e:
            log.info("%s chat %s is unreachable (%s); dropping its queue", self.channel,
                     item.chat_key[:8], e)  # fmt: skip
            self.stats.dropped += 1
            handed = 0
            self._orphans.difference_update(sent)  # (looked up by the mark below)
            async with self.db.write() as conn:
                await store.mark_sent(conn, sent, self.clock())  # what went before did go
                sent.clear()
                if self.fallback is not None:
                    handed = await self.fallback.on_unreachable(conn, item)
                await store.drop_chat(conn, item.chat_key, str(e), self.clock())
                await people.mark_blocked(conn, self.channel, item.address)
            if handed and self.fallback is not None:
                self.fallback.notify()
            if self.on_unreachable:
                await self.on_unreachable(self.channel, item.address)
            return False
        except Rejected as e:
            log.warning("%s refused message %s for good: %s", self.channel, item.id, e)
            self.stats.dropped += 1
            await self._give_up(item, store.DROPPED, str(e))
            return True
        except Exception as e:
            return await self._transient(item, e)
        self.stats.sent += 1
        sent.append(item.id)
        if item.person_id is None:
            self._orphans.add(item.id)
        return True

    async def _transient(self, item: OutboxItem, error: Exception) -> bool:
        now = self.clock()
        deadline = item.expires_at or (item.created_at + self.ttl)
        if now >= deadline:
            log.error("%s message %s given up after %d tries: %r", self.channel, item.id,
                      item.attempts + 1, error)  # fmt: skip
            await self._give_up(item, store.EXPIRED, repr(error))
            return True
        base = min(self.max_backoff, 2.0 ** min(item.attempts + 1, 16))
        delay = min(self.max_backoff, base * (0.5 + self.rng.random()))
        log.warning("send failed on %s (attempt %d): %r; next try in %.0fs", self.channel,
                    item.attempts + 1, error, delay)  # fmt: skip
        self.stats.retried += 1
        await self._postpone(item, delay, repr(error), count=True)
        return False

    async def _postpone(self, item: OutboxItem, seconds: float, error: str, *, count: bool) -> None:
        until = self.clock() + timedelta(seconds=seconds)
        async with self.db.write() as conn:
            await store.postpone(conn, item.id, until, error, count=count)

    async def _give_up(self, item: OutboxItem, status: str, error: str) -> None:
        if status == store.EXPIRED:
            self.stats.expired += 1
        async with self.db.write() as conn:
            await store.give_up(conn, [item.id], status, error, self.clock())


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()  # (seen by its waiters; never "exception was never retrieved")


def _by_chat(items: list[OutboxItem]) -> list[list[OutboxItem]]:
    chats: dict[str, list[OutboxItem]] = {}
    for item in items:
        chats.setdefault(item.chat_key, []).append(item)
    return list(chats.values())
