"""A turn hands its replies to this process's running sender, already claimed: no claim
transaction per turn, and still at least once, in order per chat. Sent marks of chats that
finish together share one transaction (group commit). Both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from bot.app import App
from bot.core.types import EventKind, InboundEvent, OutboundMessage, say
from bot.storage import outbox, people, turn_write
from bot.storage.crypto import address_hash
from bot.storage.db import make_engine
from bot.storage.models import OutboxMessage, table
from bot.testing.clock import FrozenClock
from scheduler import outbox as sender_module
from scheduler.outbox import OutboxSender, RetryLater

O = table(OutboxMessage)  # noqa: E741


class Delivered:
    """A console that records (address, first response key) and can refuse once."""

    def __init__(self) -> None:
        self.got: list[tuple[str, str]] = []
        self.refuse: set[str] = set()  # response keys answered with a 429, once each

    async def __call__(self, address: str, message: OutboundMessage) -> None:
        key = message.parts[0].key
        if key in self.refuse:
            self.refuse.discard(key)
            raise RetryLater(5)
        self.got.append((address, key))


async def until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise TimeoutError("the sender did not get there")


@pytest.fixture
async def running(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[OutboxSender, Delivered, list[int]]]:
    """A console sender running as in ``jkp-bot run``, attached to the engine; the list
    counts its claim transactions."""
    claims: list[int] = []
    claim = outbox.claim

    async def counted(*args: Any, **kwargs: Any) -> list[outbox.OutboxItem]:
        items = await claim(*args, **kwargs)
        claims.append(len(items))
        return items

    monkeypatch.setattr(sender_module.store, "claim", counted)
    out = Delivered()
    sender = OutboxSender(app.db, "console", out, app.engine.clock, per_second=0,
                          chat_interval=0, poll_seconds=0.05)  # fmt: skip
    app.engine.attach_sender(sender)
    app.engine.on_queued = sender.wake
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    await until(lambda: sender.accepting)
    try:
        yield sender, out, claims
    finally:
        stop.set()
        sender.wake()
        await task


def settled(sender: OutboxSender) -> bool:
    """Nothing in flight: no chat being sent, no sent mark waiting or being written."""
    marker = sender._marker
    return not sender._queues and not sender._marks and (marker is None or marker.done())


def event(user: str, n: int, text: str = "", payload: str = "") -> InboundEvent:
    kind = EventKind.CHOICE if payload else EventKind.TEXT
    return InboundEvent("console", user, kind, text=text, payload=payload, event_id=f"{user}{n}")


async def pending(app: App) -> int:
    async with app.db.read() as conn:
        return await outbox.pending_count(conn, "console")


async def test_a_turn_hands_its_replies_over_without_a_claim(
    app: App, running: tuple[OutboxSender, Delivered, list[int]]
) -> None:
    sender, out, claims = running
    await until(lambda: len(claims) >= 1)  # the claim at start: nothing queued yet
    claims.clear()
    queued = await app.engine.handle(event("a", 1, text="halo"))
    queued += await app.engine.handle(event("a", 2, payload="consent:agree"))
    queued += await app.engine.handle(event("a", 3, text="menu"))
    await until(lambda: len(out.got) == queued)
    assert [key for _, key in out.got][:1] == ["utter_welcome"]
    assert "utter_menu" in [key for _, key in out.got]
    assert {address for address, _ in out.got} == {"a"}
    await until(lambda: settled(sender))
    assert await pending(app) == 0  # delivered and marked sent
    # Every reply went without a claim transaction (the poll may claim, finding nothing).
    assert sum(claims) == 0


async def test_a_waiting_chat_is_not_overtaken_by_a_handed_reply(
    app: App, running: tuple[OutboxSender, Delivered, list[int]], clock: FrozenClock
) -> None:
    sender, out, _ = running
    out.refuse.add("utter_welcome")  # the first reply is told to wait (429, 5 s)
    await app.engine.handle(event("b", 1, text="halo"))
    await until(lambda: sender.stats.rate_limited == 1 and not sender._queues)
    sent_before = len(out.got)
    await app.engine.handle(event("b", 2, text="menu"))  # its reply must wait behind
    await asyncio.sleep(0.3)  # several polls
    assert [key for _, key in out.got[sent_before:]] == []
    clock.advance(seconds=6)
    await until(lambda: len(out.got) >= 2 and settled(sender))
    keys = [key for _, key in out.got]
    assert keys[0] == "utter_welcome"  # the waiting one first, then what came after
    assert keys[-1] == "utter_consent_first"  # ("menu" before consent)
    assert await pending(app) == 0


async def test_sent_marks_of_chats_that_finish_together_share_a_transaction(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = app.engine.clock()
    chats = [str(90_000 + c) for c in range(20)]
    async with app.db.write() as conn:
        for address in chats:
            snap = await people.create_identity(conn, "test", address, now)
            assert snap is not None
            await outbox.enqueue(
                conn, channel="test", chat_key=address_hash("test", address), address=address,
                person_id=snap.person.id, message=say("utter_error"), now=now,
                expires_at=now + app.engine.message_ttl,
            )  # fmt: skip
    marks: list[int] = []
    mark_sent = outbox.mark_sent

    async def counted(conn: Any, ids: list[int], when: Any, **kwargs: Any) -> None:
        marks.append(len(ids))
        await mark_sent(conn, ids, when, **kwargs)

    monkeypatch.setattr(sender_module.store, "mark_sent", counted)

    async def slow(address: str, message: OutboundMessage) -> None:
        await asyncio.sleep(0.001)

    sender = OutboxSender(app.db, "test", slow, app.engine.clock, per_second=0,
                          chat_interval=0)  # fmt: skip
    assert await sender.drain() == 20
    assert sum(marks) == 20
    assert len(marks) < 20 / 2, marks  # each transaction marked several chats
    async with app.db.read() as conn:
        statuses = set(await conn.scalars(select(O.c.status).where(O.c.channel == "test")))
    assert statuses == {"sent"}


async def test_a_reply_is_not_handed_over_past_a_message_another_sender_postponed(
    app: App, running: tuple[OutboxSender, Delivered, list[int]], clock: FrozenClock
) -> None:
    """This sender never saw the chat wait (another process's sender was told to, or this
    one restarted): the turn itself sees the postponed message and does not hand over."""
    sender, out, _ = running
    await app.engine.handle(event("c", 1, text="halo"))
    await until(lambda: len(out.got) >= 1 and settled(sender))
    now = clock()
    async with app.db.write() as conn:
        snap = await people.snapshot(conn, "console", "c")
        assert snap is not None
        await outbox.enqueue(
            conn, channel="console", chat_key=address_hash("console", "c"), address="c",
            person_id=snap.person.id, message=say("utter_error"), now=now,
            not_before=now + timedelta(seconds=5), expires_at=now + timedelta(hours=1),
        )  # fmt: skip
    before = len(out.got)
    await app.engine.handle(event("c", 2, text="menu"))
    await asyncio.sleep(0.3)  # several polls
    assert out.got[before:] == []  # behind the postponed one
    clock.advance(seconds=6)
    await until(lambda: len(out.got) >= before + 2 and settled(sender))
    assert [key for _, key in out.got[before:]] == ["utter_error", "utter_consent_first"]


async def test_a_message_another_writer_queues_during_the_turn_is_not_overtaken(
    app: App, running: tuple[OutboxSender, Delivered, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process (the fallback of a failed message, another replica's apology) queues
    for the chat and commits while the turn computes. The turn's reply goes behind it, not
    straight to this sender. On PostgreSQL the reply's own insert asks (enqueue_if_clear);
    on SQLite the commit since the turn's read makes the turn compute again."""
    sender, out, _ = running
    chat = address_hash("console", "race")
    await app.engine.handle(InboundEvent("console", "race", EventKind.TEXT, text="halo"))
    await until(lambda: len(out.got) >= 1)
    done: list[bool] = []

    def meanwhile(first_write: Any) -> Any:
        async def write(conn: Any, *args: Any, **kwargs: Any) -> Any:
            await other_writer()
            return await first_write(conn, *args, **kwargs)

        return write

    async def other_writer() -> None:
        if not done:
            done.append(True)
            elsewhere = make_engine(app.settings.database_url)  # another process's connection
            try:
                async with elsewhere.begin() as other:  # committed before this turn writes
                    await outbox.enqueue(
                        other, channel="console", chat_key=chat, address="race", person_id=None,
                        message=say("utter_error"), now=app.engine.clock(),
                    )  # fmt: skip
            finally:
                await elsewhere.dispose()

    # (the turn's first write: on PostgreSQL the one statement, else the claim)
    monkeypatch.setattr(people, "claim_turn", meanwhile(people.claim_turn))
    monkeypatch.setattr(turn_write, "write_turn", meanwhile(turn_write.write_turn))
    handed: list[int] = []
    take = sender.take
    monkeypatch.setattr(sender, "take", lambda items: (handed.extend(i.id for i in items),
                                                       take(items)))  # fmt: skip
    # No poll while the turn runs: a poll between the other writer's commit and the turn's
    # write would let this sender claim that message first, and the reply could then rightly
    # follow it in this sender's queue (the race this test is about is another sender's).
    sender.poll_seconds = 60
    await asyncio.sleep(0.2)  # (the poll under way ends; the next waits a minute)
    seen = len(out.got)
    await app.engine.handle(InboundEvent("console", "race", EventKind.TEXT, text="menu"))
    assert done  # (the other writer did write mid-turn)
    assert handed == []  # queued unclaimed, behind the other writer's message
    await until(lambda: len(out.got) >= seen + 2)
    assert out.got[seen][1] == "utter_error"  # the other writer's message first


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_on_postgresql_a_turn_without_effects_is_its_snapshot_and_one_statement(
    app: App, running: tuple[OutboxSender, Delivered, list[int]]
) -> None:
    """Two round trips to the server and no transaction (bot/storage/turn_write.py); a turn
    with an effect writes in one transaction, begun after the snapshot."""
    sender, out, _ = running
    await app.engine.handle(event("rt", 1, text="halo"))
    await until(lambda: len(out.got) >= 1)
    sender.poll_seconds = 60  # (no claim of the sender's among the turn's statements)
    await asyncio.sleep(0.2)
    seen: list[tuple[str, str]] = []
    commits: list[str] = []

    def statement(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        if not sql.startswith("UPDATE outbox"):  # (not the sender's marks)
            seen.append((sql.split()[0], conn.get_execution_options().get("isolation_level", "")))

    def commit(conn: Any) -> None:
        if (level := conn.get_execution_options().get("isolation_level", "")) != "AUTOCOMMIT":
            commits.append(level)

    engine = app.db.engine.sync_engine
    sa_event.listen(engine, "before_cursor_execute", statement)
    sa_event.listen(engine, "commit", commit)
    try:
        await app.engine.handle(event("rt", 2, text="menu"))
        assert seen == [("SELECT", "AUTOCOMMIT"), ("WITH", "AUTOCOMMIT")]
        await until(lambda: len(out.got) >= 2 and settled(sender))
        seen.clear()
        commits.clear()
        await app.engine.handle(event("rt", 3, text="1"))  # Setuju
        writes = [level for verb, level in seen[1:]]
        assert seen[0] == ("SELECT", "AUTOCOMMIT") and len(writes) >= 2
        assert set(writes) == {"READ COMMITTED"} and commits == ["READ COMMITTED"]
    finally:
        sa_event.remove(engine, "before_cursor_execute", statement)
        sa_event.remove(engine, "commit", commit)
    await until(lambda: len(out.got) >= 3)
