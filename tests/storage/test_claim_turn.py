"""What lets a turn write (people.claim_turn): the event recorded once, the person's version
claimed once, the state saved with them; one statement on PostgreSQL, on both databases the
same answers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.app import App
from bot.storage import people
from bot.storage.models import Person, ProcessedEvent, table
from bot.testing.db import stored_state


async def test_a_turn_claims_once_and_saves_its_state(app: App) -> None:
    now = app.engine.clock()
    async with app.db.write() as conn:
        snap = await people.create_identity(conn, "console", "claimer", now)
    assert snap is not None
    person, version = snap.person.id, snap.version
    later = now + timedelta(minutes=5)
    async with app.db.write() as conn:
        first = await people.claim_turn(
            conn, person, version, later, event=("console", "e1"), seen=True,
            state=(snap.identity_id, {"v": 2, "note": "first"}),
        )  # fmt: skip
    assert first == (True, True)
    assert (await stored_state(app, "console", "claimer"))["note"] == "first"
    async with app.db.read() as conn:
        row = (await conn.execute(select(table(Person)).where(table(Person).c.id == person))).one()
        events = await conn.execute(select(func.count()).select_from(table(ProcessedEvent)))
        assert events.scalar() == 1
    assert row.version == version + 1
    assert row.last_seen_at == later

    # The same event again (a redelivery), even with the right version: not new.
    async with app.db.write() as conn:
        again = await people.claim_turn(
            conn, person, version + 1, later, event=("console", "e1"), seen=True
        )
        assert again[0] is False
        await conn.rollback()  # (the engine raises, which rolls the transaction back)
    # A stale version (another turn wrote since the snapshot): the event is new, the claim
    # fails, and nothing of it stays once the caller rolls back.
    async with app.db.write() as conn:
        stale = await people.claim_turn(
            conn, person, version, later, event=("console", "e2"), seen=False,
            state=(snap.identity_id, {"v": 2, "note": "stale"}),
        )  # fmt: skip
        assert stale == (True, False)
        await conn.rollback()
    assert (await stored_state(app, "console", "claimer"))["note"] == "first"
    # A system turn: no event, not seen (last_seen_at stays).
    async with app.db.write() as conn:
        system = await people.claim_turn(conn, person, version + 1, later + timedelta(days=1),
                                         event=None, seen=False)  # fmt: skip
    assert system == (True, True)
    async with app.db.read() as conn:
        row = (await conn.execute(select(table(Person)).where(table(Person).c.id == person))).one()
        events = await conn.execute(select(func.count()).select_from(table(ProcessedEvent)))
        assert events.scalar() == 1
    assert (row.version, row.last_seen_at) == (version + 2, later)
