"""The update poller against a fake `getUpdates` with Telegram's semantics: an offset confirms
(and forgets) every update below it, unconfirmed ones come again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from bot.channels.polling import UpdatePoller, backoff
from bot.storage.db import StorageUnavailable


@dataclass(frozen=True)
class Upd:
    update_id: int
    chat: str
    text: str


class Telegram:
    def __init__(self) -> None:
        self.pending: list[Upd] = []
        self.offsets: list[int | None] = []
        self._ids = iter(range(1, 10_000))
        self._new = asyncio.Event()

    def push(self, chat: str, text: str) -> Upd:
        update = Upd(next(self._ids), chat, text)
        self.pending.append(update)
        self._new.set()
        return update

    async def get_updates(self, offset: int | None, wait: float) -> list[Upd]:
        self.offsets.append(offset)
        if offset is not None:
            self.pending = [u for u in self.pending if u.update_id >= offset]
        if not self.pending and wait:
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), min(wait, 0.2))
        return list(self.pending)


class Handler:
    """Records what was stored; can fail with an outage, a bug, or wait for a gate."""

    def __init__(self) -> None:
        self.stored: list[str] = []
        self.outages: dict[str, int] = {}  # text -> how many times to raise StorageUnavailable
        self.gates: dict[str, asyncio.Event] = {}
        self.entered: dict[str, asyncio.Event] = {}
        self.bugs: set[str] = set()
        self.on_store: Callable[[], object] = lambda: None

    def gate(self, text: str) -> asyncio.Event:
        self.entered[text] = asyncio.Event()
        self.gates[text] = asyncio.Event()
        return self.gates[text]

    async def __call__(self, update: Upd) -> None:
        if update.text in self.entered:
            self.entered[update.text].set()
        if update.text in self.gates:
            await self.gates[update.text].wait()
        if self.outages.get(update.text, 0) != 0:
            self.outages[update.text] -= 1
            raise StorageUnavailable("database is locked")
        if update.text in self.bugs:
            raise ValueError("a bug")
        self.on_store()
        self.stored.append(update.text)


@pytest.fixture
def telegram() -> Telegram:
    return Telegram()


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
def poller(telegram: Telegram, handler: Handler) -> UpdatePoller[Upd]:
    return UpdatePoller(
        telegram.get_updates, handler, lambda u: u.chat, poll_timeout=0.2,
        refetch_seconds=0.05, max_backoff=0.01, grace=5.0,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def running(poller: UpdatePoller[Upd]) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def until(condition: Callable[[], bool]) -> None:
    """Wait (up to 10 s) for a condition over several fakes' state."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - no single event covers the fakes
            await asyncio.sleep(0.01)


async def test_an_update_is_confirmed_only_once_stored(
    poller: UpdatePoller[Upd], telegram: Telegram, handler: Handler
) -> None:
    handler.outages["a1"] = -1  # the database is down...
    a1 = telegram.push("A", "a1")
    offsets_when_stored: list[int] = []
    handler.on_store = lambda: offsets_when_stored.append(len(telegram.offsets))
    async with running(poller):
        await until(lambda: len(telegram.offsets) >= 3)
        handler.outages["a1"] = 0  # ...and back
        await until(lambda: handler.stored == ["a1"])
        await until(lambda: not telegram.pending)
    before = telegram.offsets[: offsets_when_stored[0]]
    assert len(before) >= 2  # fetched again while it failed
    assert all(o is None or o <= a1.update_id for o in before)


async def test_other_chats_go_on_while_one_waits_in_order(
    poller: UpdatePoller[Upd], telegram: Telegram, handler: Handler
) -> None:
    gate = handler.gate("a1")
    a1 = telegram.push("A", "a1")
    telegram.push("A", "a2")
    async with running(poller):
        await handler.entered["a1"].wait()
        for text in ("b1", "b2", "b3"):
            telegram.push("B", text)
        await until(lambda: handler.stored == ["b1", "b2", "b3"])
        # a1 is not stored: nothing at or after it may be confirmed yet
        assert max(o or 0 for o in telegram.offsets) <= a1.update_id
        assert [u.text for u in telegram.pending][:1] == ["a1"]
        gate.set()
        await until(lambda: not telegram.pending)
    assert handler.stored == ["b1", "b2", "b3", "a1", "a2"]


async def test_stop_finishes_the_updates_in_hand_and_confirms_them(
    poller: UpdatePoller[Upd], telegram: Telegram, handler: Handler
) -> None:
    gate = handler.gate("a1")
    telegram.push("A", "a1")
    telegram.push("A", "a2")
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    await handler.entered["a1"].wait()
    stop.set()
    await asyncio.sleep(0.3)
    assert not task.done()  # waits for the update in hand
    gate.set()
    await asyncio.wait_for(task, 10)
    assert handler.stored == ["a1", "a2"]
    assert telegram.pending == []  # confirmed on the way out


async def test_stop_leaves_what_cannot_be_stored_with_telegram(
    poller: UpdatePoller[Upd], telegram: Telegram, handler: Handler
) -> None:
    handler.outages["a1"] = -1  # never
    telegram.push("A", "a1")
    telegram.push("B", "b1")
    async with running(poller):
        await until(lambda: handler.stored == ["b1"])
    assert [u.text for u in telegram.pending] == ["a1", "b1"]  # b1 comes again: a duplicate


async def test_a_bug_is_logged_and_does_not_wedge_the_chat(
    poller: UpdatePoller[Upd],
    telegram: Telegram,
    handler: Handler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler.bugs.add("a1")
    telegram.push("A", "a1")
    telegram.push("A", "a2")
    async with running(poller):
        await until(lambda: handler.stored == ["a2"])
        await until(lambda: not telegram.pending)
    assert any("update 1 failed" in r.message for r in caplog.records)


async def test_get_updates_failures_are_retried(
    poller: UpdatePoller[Upd],
    telegram: Telegram,
    handler: Handler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real = telegram.get_updates
    failures = iter([True, True])

    async def flaky(offset: int | None, wait: float) -> list[Upd]:
        if next(failures, False):
            raise ConnectionResetError("Telegram is away")
        return await real(offset, wait)

    poller.fetch = flaky
    telegram.push("A", "a1")
    async with running(poller):
        await until(lambda: handler.stored == ["a1"])
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.message.split(";")[0] for r in warnings] == [
        "getUpdates failed (Telegram is away)"
    ] * 2
    assert not any(r.exc_info for r in caplog.records)  # a line each, no traceback


def test_backoff_grows_and_is_capped() -> None:
    import random

    rng = random.Random(7)
    delays = [backoff(n, cap=30.0, rng=rng) for n in range(12)]
    assert all(0.5 <= d <= 30.0 for d in delays)
    assert delays[0] <= 1.5 and delays[-1] >= 15.0
