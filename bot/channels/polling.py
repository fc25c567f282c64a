"""Long polling that confirms an update only once it is stored.

Telegram's ``getUpdates`` confirms every update below the ``offset`` it is given, and then
forgets it. aiogram's ``start_polling`` moves the offset as soon as it has *fetched* an update
and handles it in a background task, so an update in flight when the process stops (or while
the database is down) is gone for good. :class:`UpdatePoller` keeps the offset at the oldest
update not yet stored:

- updates of different chats are handled concurrently, updates of one chat in order (one
  worker per chat with a queue);
- an update counts as stored when its handler returns; a handler raising
  :class:`StorageUnavailable` leaves it unconfirmed, and it is tried again with capped
  exponential backoff (its chat waits behind it, other chats go on);
- while updates are in hand, ``getUpdates`` is asked again (without waiting) whenever one
  finishes or every ``refetch_seconds``: Telegram then returns the unconfirmed ones again
  (skipped) and any new ones;
- on stop (SIGTERM), no new update is fetched, the updates in hand are finished within
  ``grace`` seconds (a handler that cannot store is not tried again), the offset of the
  finished ones is confirmed with one last short ``getUpdates``, and the rest stays with
  Telegram for the next start. A redelivered update is dropped by the engine (its id is
  recorded in the same transaction as its effects), so confirming late is always safe.

Telegram allows one ``getUpdates`` consumer per bot: run polling in one process only (any
number of processes may serve webhooks).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, Protocol, TypeVar

from bot.storage.db import StorageUnavailable

log = logging.getLogger(__name__)


class HasUpdateId(Protocol):
    @property
    def update_id(self) -> int: ...


U = TypeVar("U", bound=HasUpdateId)


def backoff(attempt: int, *, base: float = 1.0, cap: float = 30.0, rng: random.Random) -> float:
    """Exponential backoff with jitter: about 1, 2, 4, ... seconds (±50 %), never over ``cap``."""
    return float(min(cap, base * 2 ** min(attempt, 30) * (0.5 + rng.random())))


class UpdatePoller(Generic[U]):
    """``fetch(offset, timeout)`` is ``getUpdates`` (it confirms every update below
    ``offset``); ``handle(update)`` stores one; ``chat_of(update)`` says whose it is."""

    def __init__(
        self,
        fetch: Callable[[int | None, float], Awaitable[Sequence[U]]],
        handle: Callable[[U], Awaitable[object]],
        chat_of: Callable[[U], Hashable],
        *,
        poll_timeout: float = 25.0,
        refetch_seconds: float = 1.0,
        refetch_min: float = 0.2,
        max_in_hand: int = 100,
        max_backoff: float = 10.0,
        grace: float = 8.0,
        rng: random.Random | None = None,
    ) -> None:
        self.fetch = fetch
        self.handle = handle
        self.chat_of = chat_of
        self.poll_timeout = poll_timeout
        self.refetch_seconds = refetch_seconds
        self.refetch_min = refetch_min
        self.max_in_hand = max_in_hand
        self.max_backoff = max_backoff
        self.grace = grace
        self.rng = rng or random.Random()
        self.offset: int | None = None  # everything below is stored (or was before we started)
        self.stored = 0  # updates handled and stored by this poller
        self._confirmed: int | None = None  # the offset Telegram was last given
        self._in_hand: dict[int, U] = {}  # fetched, not yet stored
        self._done: set[int] = set()  # stored, but an older one is still in hand
        self._newest_stored: int | None = None
        self._queues: dict[Hashable, deque[U]] = {}
        self._workers: dict[Hashable, asyncio.Task[None]] = {}
        self._progress = asyncio.Event()
        self._stop = asyncio.Event()

    @property
    def in_hand(self) -> int:
        return len(self._in_hand)

    # -- the loop ---------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set, then finish what is in hand and confirm it."""
        self._stop = stop
        failures = 0
        loop = asyncio.get_running_loop()
        last_fetch = -1e9
        try:
            while not stop.is_set():
                if self._in_hand:
                    # Ask again when something finished (the offset moves) or now and then
                    # for other chats; never in a tight loop over unconfirmed updates (each
                    # answer brings them all again), at most every ``refetch_min`` seconds.
                    await self._wait(self._progress, self.refetch_seconds, stop)
                    pause = last_fetch + self.refetch_min - loop.time()
                    if pause > 0 and self._in_hand:
                        await self._wait(stop, pause)
                    if stop.is_set():
                        break
                if len(self._in_hand) >= self.max_in_hand:
                    continue
                self._progress.clear()
                last_fetch = loop.time()
                offset = self._next_offset()
                try:
                    updates = await self._fetch(offset, 0 if self._in_hand else self.poll_timeout)
                except Exception as e:
                    failures += 1
                    delay = backoff(failures - 1, cap=self.max_backoff, rng=self.rng)
                    log.warning("getUpdates failed (%s); trying again in %.0f s", _short(e), delay)
                    await self._wait(stop, delay)
                    continue
                if failures:
                    log.info("getUpdates works again")
                failures = 0
                self._take(updates)
        finally:
            await self._finish()

    async def _fetch(self, offset: int | None, wait: float) -> Sequence[U]:
        fetching = asyncio.ensure_future(self.fetch(offset, wait))
        stopping = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({fetching, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not fetching.done():  # stopped during a long poll: what it brings stays unconfirmed
            fetching.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await fetching
            return ()
        updates = fetching.result()
        self._confirmed = offset
        return updates

    def _take(self, updates: Sequence[U]) -> None:
        for update in sorted(updates, key=lambda u: u.update_id):
            uid = update.update_id
            if uid in self._in_hand or uid in self._done:
                continue
            if self.offset is not None and uid < self.offset:
                continue
            self._in_hand[uid] = update
            key = self.chat_of(update)
            self._queues.setdefault(key, deque()).append(update)
            if key not in self._workers:
                self._workers[key] = asyncio.create_task(self._work(key), name=f"chat-{key}")

    def _next_offset(self) -> int | None:
        """The oldest update still in hand, or one past the newest stored."""
        if self._in_hand:
            self.offset = min(self._in_hand)
        elif self._newest_stored is not None:
            self.offset = self._newest_stored + 1
        self._done = {uid for uid in self._done if self.offset is None or uid >= self.offset}
        return self.offset

    # -- one chat ---------------------------------------------------------------------
    async def _work(self, key: Hashable) -> None:
        queue = self._queues[key]
        try:
            while queue:
                update = queue[0]
                if not await self._handle(update):
                    return  # stopping, and it could not be stored: Telegram keeps it
                queue.popleft()
                uid = update.update_id
                del self._in_hand[uid]
                self._done.add(uid)
                self._newest_stored = max(uid, self._newest_stored or uid)
                self.stored += 1
                self._progress.set()
        finally:
            del self._workers[key]
            if not queue:
                del self._queues[key]

    async def _handle(self, update: U) -> bool:
        """True once the update is stored (or can never be: a bug, logged)."""
        attempt = 0
        while True:
            try:
                await self.handle(update)
                return True
            except StorageUnavailable as e:
                if self._stop.is_set():
                    log.warning("update %d not stored (%s); left for the next start",
                                update.update_id, _short(e))  # fmt: skip
                    return False
                delay = backoff(attempt, cap=self.max_backoff, rng=self.rng)
                log.warning("update %d stays unconfirmed (%s); next try in %.0f s",
                            update.update_id, _short(e), delay)  # fmt: skip
                attempt += 1
                await self._wait(self._stop, delay)
            except Exception:
                # Not an outage: the engine already apologised to the person if it could.
                # Holding the update would wedge the chat and redeliver the same failure.
                log.exception("update %d failed; confirmed anyway", update.update_id)
                return True

    # -- stopping ---------------------------------------------------------------------
    async def _finish(self) -> None:
        workers = list(self._workers.values())
        if workers:
            log.info("stopping: finishing %d update(s) in hand", len(self._in_hand))
            _, late = await asyncio.wait(workers, timeout=self.grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
                log.warning("stopping: %d update(s) not finished in %.0f s stay unconfirmed",
                            len(self._in_hand), self.grace)  # fmt: skip
        offset = self._next_offset()
        if offset is not None and offset != self._confirmed:
            try:
                await self.fetch(offset, 0)
            except Exception as e:
                log.warning("could not confirm updates below %d (%s); they will come again "
                            "and be dropped as duplicates", offset, _short(e))  # fmt: skip

    @staticmethod
    async def _wait(event: asyncio.Event, seconds: float, *more: asyncio.Event) -> None:
        """Until one of the events is set, or ``seconds`` passed."""
        waits = [asyncio.ensure_future(e.wait()) for e in (event, *more)]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 200 else text[:200] + "…"
