"""The outbox under faults: a poisoned row is set aside while the rest flows; two senders
with their own connection pools on one database deliver every message exactly once, in
order per chat."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import JSON, Text, select, type_coerce, update

from bot.app import App
from bot.core.types import OutboundMessage, say
from bot.storage import crypto, outbox, people
from bot.storage.crypto import address_hash
from bot.storage.db import Database, make_engine
from bot.storage.models import OutboxMessage, table
from bot.testing.clock import FrozenClock
from scheduler.outbox import OutboxSender

O = table(OutboxMessage)  # noqa: E741
LOST_KEY = "qTQ2yVKUNGpQ9bDqNSN8bWwPzXWGmYFiWgn2cEg4n8Q="  # a key nobody has any more


class Recorder:
    """A channel that records what it delivered, taking a little (real) time."""

    def __init__(self, rng: random.Random, latency: float = 0.0) -> None:
        self.got: dict[str, list[str]] = defaultdict(list)
        self.rng, self.latency = rng, latency

    async def __call__(self, address: str, message: OutboundMessage) -> None:
        if self.latency:
            await asyncio.sleep(self.rng.uniform(0, self.latency))
        self.got[address].append(message.parts[0].params["n"])

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.got.values())


async def queue(app: App, chats: int, per_chat: int) -> dict[str, list[str]]:
    """``per_chat`` messages for each of ``chats`` chats, interleaved as they would come."""
    now = app.engine.clock()
    expected: dict[str, list[str]] = defaultdict(list)
    async with app.db.write() as conn:
        persons = {}
        for c in range(chats):
            snap = await people.create_identity(conn, "test", str(70_000 + c), now)
            assert snap is not None
            persons[str(70_000 + c)] = snap.person.id
        for n in range(per_chat):
            for c in range(chats):
                address = str(70_000 + c)
                await outbox.enqueue(
                    conn, channel="test", chat_key=address_hash("test", address),
                    address=address, person_id=persons[address],
                    message=say("utter_error", n=str(n)),
                    now=now, expires_at=now + app.engine.message_ttl,
                )  # fmt: skip
                expected[address].append(str(n))
    return expected


async def test_a_poisoned_row_is_set_aside_and_the_rest_flows(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    expected = await queue(app, chats=2, per_chat=4)
    async with app.db.read() as conn:
        ids = list(await conn.scalars(select(O.c.id).order_by(O.c.id)))
    lost = crypto.Cipher([LOST_KEY])
    poisoned = {
        ids[0]: {"body": type_coerce(lost.seal({"parts": say("utter_error").to_json()}), JSON)},
        ids[3]: {"body": type_coerce({"parts": [{"no": "key"}]}, JSON)},  # corrupt
        ids[4]: {"address": type_coerce(lost.seal_text("70000"), Text)},
    }
    async with app.db.write() as conn:
        for row_id, values in poisoned.items():
            await conn.execute(update(O).where(O.c.id == row_id).values(**values))
    sender = OutboxSender(app.db, "test", (out := Recorder(random.Random(1))), app.engine.clock,
                          per_second=0, chat_interval=0)  # fmt: skip
    await sender.drain()
    await sender.drain()

    skipped = {0: ("70000", "0"), 3: ("70001", "1"), 4: ("70000", "2")}  # (chat, message)
    for index, (chat, n) in skipped.items():
        assert ids[index] in poisoned
        expected[chat].remove(n)
    assert dict(out.got) == expected  # the rest, in order
    async with app.db.read() as conn:
        rows = dict((await conn.execute(select(O.c.id, O.c.status))).all())
        errors = list(await conn.scalars(select(O.c.last_error).where(O.c.status == "failed")))
    assert {i for i, s in rows.items() if s == "failed"} == set(poisoned)
    assert all(e.startswith("unreadable") for e in errors)
    logged = [r for r in caplog.records if "cannot be read" in r.getMessage()]
    assert sorted(r.getMessage().split()[2] for r in logged) == sorted(map(str, poisoned))
    assert all(r.levelno == logging.ERROR for r in logged)  # once each, though drained twice


@pytest.fixture
async def second_db(app: App) -> AsyncIterator[Database]:
    """The same database through a pool of its own (as another process would have)."""
    engine = make_engine(str(app.settings.database_url))
    try:
        yield Database(engine)
    finally:
        await engine.dispose()


async def test_two_senders_deliver_each_message_once_in_order(
    app: App, second_db: Database, clock: FrozenClock
) -> None:
    expected = await queue(app, chats=12, per_chat=15)
    out = Recorder(random.Random(2), latency=0.004)
    senders = [
        OutboxSender(db, "test", out, clock, per_second=0, chat_interval=0, batch=8,
                     poll_seconds=0.05)
        for db in (app.db, second_db)
    ]  # fmt: skip
    stop = asyncio.Event()
    tasks = [asyncio.create_task(s.run(stop)) for s in senders]
    for s in senders:
        s.wake()
    async with asyncio.timeout(60):
        while out.total < 180:  # noqa: ASYNC110 - two senders write to one recorder
            await asyncio.sleep(0.02)
    stop.set()
    await asyncio.gather(*tasks)
    assert dict(out.got) == expected  # each exactly once, in order per chat
    assert all(s.stats.sent > 20 for s in senders)  # both took part
