"""PostgreSQL: a turn's writes as one statement in autocommit (bot/storage/turn_write.py).
All of it or, when the version is stale or the event was handled already, nothing of it
(the version bump aside, for a redelivery); the replies in order, claimed for the sender
unless the chat waits elsewhere."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.app import App
from bot.core.types import OutboundMessage, say
from bot.storage import outbox, people
from bot.storage.crypto import address_hash
from bot.storage.models import Identity, OutboxMessage, Person, ProcessedEvent, table
from bot.storage.turn_write import Written, write_turn
from bot.testing.db import stored_state

pytestmark = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)

P, I, O, E = table(Person), table(Identity), table(OutboxMessage), table(ProcessedEvent)  # noqa: E741


async def person(app: App) -> people.Snapshot:
    async with app.db.write() as conn:
        snap = await people.create_identity(conn, "console", "w", app.engine.clock())
    assert snap is not None
    return snap


async def write(
    app: App,
    snap: people.Snapshot,
    *,
    version: int | None = None,
    event: str | None = "e1",
    note: str = "new",
    messages: tuple[OutboundMessage, ...] = (say("utter_greet"), say("utter_menu")),
    touch: bool = False,
    at: datetime | None = None,
) -> Written:
    now = at or app.engine.clock() + timedelta(minutes=5)
    async with app.db.turn() as conn:  # (autocommit until begin_writes)
        return await write_turn(
            conn, person_id=snap.person.id, expected=snap.version if version is None else version,
            now=now, event=("console", event) if event else None, identity_id=snap.identity_id,
            state={"v": 2, "note": note}, touch=touch, channel="console",
            chat_key=address_hash("console", "w"), address="w", messages=list(messages),
            expires_at=now + timedelta(hours=1), owner="sender-1",
            claim_until=now + timedelta(minutes=2),
        )  # fmt: skip


async def rows(app: App, stmt: Any) -> list[Any]:
    async with app.db.read() as conn:
        return list((await conn.execute(stmt)).all())


async def test_one_statement_writes_the_whole_turn(app: App) -> None:
    snap = await person(app)
    at = app.engine.clock() + timedelta(minutes=5)
    written = await write(app, snap, touch=True, at=at)
    assert written.claimed and written.fresh and written.handed
    assert len(written.ids) == 2 and written.ids == sorted(written.ids)
    assert (await stored_state(app, "console", "w"))["note"] == "new"
    (row,) = await rows(app, select(P.c.version, P.c.last_seen_at).where(P.c.id == snap.person.id))
    assert tuple(row) == (snap.version + 1, at)
    assert await rows(app, select(E.c.event_id)) == [("e1",)]
    (identity,) = await rows(app, select(I.c.last_inbound_at).where(I.c.id == snap.identity_id))
    assert identity.last_inbound_at == at
    queued = await rows(app, select(O).order_by(O.c.id))
    assert [r.id for r in queued] == written.ids
    # in order, encrypted at rest, claimed for the sender, due now
    assert [OutboundMessage.from_body(r.body).parts[0].key for r in queued] == [
        "utter_greet", "utter_menu",
    ]  # fmt: skip
    assert {(r.claimed_by, r.status, r.address, r.person_id) for r in queued} == {
        ("sender-1", outbox.PENDING, "w", snap.person.id)
    }
    raw = await rows(app, text("SELECT CAST(body AS TEXT), address FROM outbox"))
    assert raw and all('"enc"' in body and address != "w" for body, address in raw)


async def test_a_stale_version_writes_nothing(app: App) -> None:
    snap = await person(app)
    stale = await write(app, snap, version=snap.version + 7, note="stale")
    assert (stale.claimed, stale.fresh, stale.ids) == (False, False, [])
    assert await rows(app, select(E.c.event_id)) == []
    assert await rows(app, select(O.c.id)) == []
    async with app.db.read() as conn:
        assert (await people.snapshot(conn, "console", "w")).state is None  # type: ignore[union-attr]
    (row,) = await rows(app, select(P.c.version).where(P.c.id == snap.person.id))
    assert row.version == snap.version
    # computed again on the right version: the event is still new
    again = await write(app, snap)
    assert again.claimed and again.fresh and len(again.ids) == 2


async def test_a_redelivered_event_writes_nothing_but_the_version(app: App) -> None:
    snap = await person(app)
    assert (await write(app, snap)).fresh
    queued = await rows(app, select(O.c.id))
    redelivered = await write(app, replace(snap, version=snap.version + 1), note="twice")
    assert redelivered.claimed and not redelivered.fresh and redelivered.ids == []
    assert (await stored_state(app, "console", "w"))["note"] == "new"
    assert await rows(app, select(O.c.id)) == queued
    assert await rows(app, select(E.c.event_id)) == [("e1",)]


async def test_a_chat_that_waits_elsewhere_is_not_claimed(app: App) -> None:
    snap = await person(app)
    now = app.engine.clock()
    async with app.db.write() as conn:  # another process's queued, unclaimed message
        await outbox.enqueue(
            conn, channel="console", chat_key=address_hash("console", "w"), address="w",
            person_id=snap.person.id, message=say("utter_error"), now=now,
        )  # fmt: skip
    with outbox.collect_unclaimed() as unclaimed:
        written = await write(app, snap, messages=(say("utter_greet"),))
    assert written.fresh and len(written.ids) == 1 and not written.handed
    assert unclaimed == {"console"}  # (the engine wakes the channel's senders)
    (row,) = await rows(app, select(O.c.claimed_by).where(O.c.id == written.ids[0]))
    assert row.claimed_by is None


async def test_no_event_and_no_message(app: App) -> None:
    """A turn without an event id (the console) and without a reply: the state and the
    version only."""
    snap = await person(app)
    written = await write(app, snap, event=None, messages=())
    assert (written.claimed, written.fresh, written.ids, written.handed) == (True, True, [], False)
    assert (await stored_state(app, "console", "w"))["note"] == "new"
    assert await rows(app, select(E.c.event_id)) == []
