"""The engine against real databases: durable state, redelivery, one event at a time,
consent proof, handoff queue, deletion and retention."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.core.conversation import Router
from bot.core.types import EventKind, InboundEvent, PersonFacts
from bot.records.store import load_eligibility
from bot.settings import Settings
from bot.storage import people
from bot.storage.crypto import address_hash
from bot.storage.models import (
    ConsentEvent,
    Conversation,
    HandoffRequest,
    Identity,
    OutboxMessage,
    Person,
)
from bot.storage.models import ProcessedEvent as ProcessedEventModel
from bot.testing.client import ChatClient, consented
from bot.testing.clock import FrozenClock
from bot.testing.db import count, person_row, snapshot, stored_state


async def test_restart_continues_at_the_same_question(
    settings: Settings, clock: FrozenClock
) -> None:
    first = await build_app(settings, clock=clock)
    client = await consented(ChatClient(first.engine))
    await client.click("menu:eligibility")
    for payload in ("laid_off:yes", "reason:employer", "citizen:yes", "age_ok:yes"):
        await client.click(payload)
    assert client.said() == ["utter_ask_contract"]
    await first.close()  # the process is gone; only the database remains

    second = await build_app(settings, clock=clock)
    try:
        client = ChatClient(second.engine)
        await client.start()
        assert client.said() == ["utter_welcome_back", "utter_ask_contract"]
        await client.send("2")  # PKWTT: the numbered options survived the restart
        assert client.said() == ["utter_ask_phk_date"]
        state = await stored_state(second, "console", "u1")
        answers = state["dialogs"]["eligibility"]["answers"]
        assert answers == {"laid_off": "yes", "reason": "employer", "citizen": "yes",
                           "age_ok": "yes", "contract": "pkwtt"}  # fmt: skip
    finally:
        await second.close()


async def test_redelivered_event_is_processed_once(client: ChatClient, app: App) -> None:
    await consented(client)
    await client.click("menu:eligibility")
    first = await client.send("1", event_id="update-77")
    again = await client.send("1", event_id="update-77")
    assert [r.keys for r in first] == [("utter_ask_reason",)]
    assert again == []
    state = await stored_state(app, "console", "u1")
    assert state["dialogs"]["eligibility"]["answers"] == {"laid_off": "yes"}


async def test_a_redelivered_event_computes_nothing(
    client: ChatClient, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dropped before routing: no turn is computed on the state it already changed (a slow
    query, a CV, would otherwise be made for nothing)."""
    await consented(client)
    await client.click("menu:eligibility")
    routed: list[int] = []
    route = Router.route

    def counting(self: Router, *args: Any, **kwargs: Any) -> Any:
        routed.append(1)
        return route(self, *args, **kwargs)

    monkeypatch.setattr(Router, "route", counting)
    await client.send("1", event_id="update-78")
    assert len(routed) == 1
    assert await client.send("1", event_id="update-78") == []
    assert len(routed) == 1


async def test_a_first_message_that_failed_is_apologised_for_once(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No identity is kept when a first turn fails (the apology marks the event handled):
    its redelivery is still recognised, with no person to read it from."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in a dialog")

    monkeypatch.setattr(app.engine.router, "route", broken)
    event = InboundEvent("console", "newcomer", EventKind.TEXT, text="halo", event_id="nb-1")
    assert await app.engine.handle(event) == 1  # the apology
    assert await app.engine.handle(event) == 0  # redelivered: nothing more
    assert await count(app, OutboxMessage) == 1


WROTE = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("blocked", "last_inbound", "now", "touched"),
    [
        (False, None, WROTE, True),  # never wrote before (a linked number)
        (False, WROTE, WROTE, False),  # the same instant
        (False, WROTE, WROTE + timedelta(seconds=59), False),  # within the minute
        (False, WROTE, WROTE + timedelta(minutes=1), True),  # a minute: recorded again
        (False, WROTE, WROTE + timedelta(hours=23), True),
        (True, WROTE, WROTE, True),  # blocked: unblocked at once, however recent
    ],
)
def test_a_turn_records_that_they_wrote_once_a_minute_or_when_blocked(
    blocked: bool, last_inbound: datetime | None, now: datetime, touched: bool
) -> None:
    snap = people.Snapshot(1, PersonFacts(1), 0, None, blocked, last_inbound_at=last_inbound)
    assert people.needs_touch(snap, now) is touched


async def test_the_inbound_time_is_kept_a_minute_early_at_most(
    client: ChatClient, app: App, clock: FrozenClock
) -> None:
    """WhatsApp's 24-hour window is counted from the stored time: it may be early by under a
    minute (the window closes early, never late), and a blocked chat that writes again is
    reachable again at once."""
    await consented(client)
    first = clock()

    async def stored() -> tuple[Any, bool]:
        async with app.db.read() as conn:
            row = (await conn.execute(
                select(Identity.last_inbound_at, Identity.blocked)
                .where(Identity.address_hash == address_hash("console", "u1"))
            )).one()  # fmt: skip
        return row[0], row[1]

    clock.advance(seconds=30)
    await client.send("menu")
    assert await stored() == (first, False)  # under a minute: not written again
    async with app.db.write() as conn:
        await people.mark_blocked(conn, "console", "u1")
    clock.advance(seconds=10)
    await client.send("menu")
    assert await stored() == (clock(), False)  # blocked: written at once
    clock.advance(seconds=70)
    await client.send("menu")
    assert await stored() == (clock(), False)  # over a minute: written again


async def test_events_of_one_conversation_run_one_at_a_time(app: App) -> None:
    """Answers arriving at once must each see the state the previous one left."""
    client = await consented(ChatClient(app.engine, user="race"))
    await client.click("menu:eligibility")
    for payload in ("laid_off:yes", "reason:employer", "citizen:yes", "age_ok:yes",
                    "contract:pkwtt"):  # fmt: skip
        await client.click(payload)
    await client.send("15-03-2025")
    # Six "1"s at once: each must answer the question the previous one left open.
    events = [
        InboundEvent("console", "race", EventKind.TEXT, text="1", event_id=f"p{i}")
        for i in range(6)
    ]
    await asyncio.gather(*(app.engine.handle(e) for e in events))
    state = await stored_state(app, "console", "race")
    snap = await snapshot(app, "console", "race")
    assert snap is not None
    async with app.db.read() as conn:
        record = await load_eligibility(conn, snap.person.id)
    assert record is not None
    answers = record.answers
    # phi(yes=1) → proof(yes) → willing(yes) → member(yes) were all answered with "1" in
    # order; then the months questions take "1" as one month.
    assert answers["phi_pending"] == "yes"
    assert answers["member"] == "yes"
    assert answers["contribution_months"] == 1
    # The sixth "1" answered the last question: the check is finished and kept as a record.
    assert state["dialogs"]["eligibility"] == {"step": "result"}
    assert len(app.engine.locks) == 0


async def test_consent_is_recorded_with_its_version(client: ChatClient, app: App) -> None:
    await client.send("halo")
    assert await count(app, ConsentEvent) == 0
    await client.click("consent:decline")
    await client.click("consent:agree")
    async with app.db.read() as conn:
        rows = (await conn.execute(select(ConsentEvent.action, ConsentEvent.notice_version))).all()
    version = app.settings.consent_notice_version
    assert [tuple(r) for r in rows] == [("declined", version), ("granted", version)]
    assert (await person_row(app, "console", "u1")).consent == "granted"


async def test_nothing_personal_is_stored_before_consent(client: ChatClient, app: App) -> None:
    await client.send("saya di PHK tanggal 15-03-2025")
    state = await stored_state(app, "console", "u1")
    assert "15-03-2025" not in str(state)
    assert state["dialogs"] == {"consent": {"step": "asked"}}


async def test_talk_to_a_person_queues_one_request(client: ChatClient, app: App) -> None:
    await consented(client)
    await client.click("menu:eligibility")
    await client.send("petugas")
    await client.send("petugas")
    async with app.db.read() as conn:
        queue = await people.open_handoffs(conn)
    assert len(queue) == 1
    assert queue[0][1] == "eligibility:laid_off"


async def test_stop_and_resume_set_the_opt_out(client: ChatClient, app: App) -> None:
    await consented(client)
    await client.send("stop")
    assert await count(app, Person, Person.opted_out.is_(True)) == 1
    await client.send("mulai")
    assert await count(app, Person, Person.opted_out.is_(True)) == 0


async def test_delete_erases_everything(client: ChatClient, app: App) -> None:
    await consented(client)
    await client.click("menu:eligibility")
    await client.click("laid_off:yes")
    await client.send("petugas")
    await client.send("hapus")
    await client.click("delete:yes")
    assert client.said() == ["utter_data_deleted"]
    for model in (Person, Identity, Conversation, ConsentEvent, HandoffRequest):
        assert await count(app, model) == 0, model
    assert await count(app, OutboxMessage, OutboxMessage.status == "pending") == 0


async def test_retention_purges_inactive_users(settings: Settings, clock: FrozenClock) -> None:
    app = await build_app(replace(settings, retention_days=30), clock=clock)
    try:
        await consented(ChatClient(app.engine, user="old"))
        clock.advance(days=31)
        await consented(ChatClient(app.engine, user="new"))
        from scheduler.jobs import purge_inactive

        assert await purge_inactive(app) == 1
        assert await count(app, Person) == 1
        assert (await person_row(app, "console", "new")).consent == "granted"
    finally:
        await app.close()


async def test_a_failing_dialog_apologises_instead_of_going_silent(
    client: ChatClient, app: App, monkeypatch: object
) -> None:
    await consented(client)

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("bug")

    import pytest

    mp = pytest.MonkeyPatch()
    mp.setattr(app.engine.router, "route", broken)
    try:
        await client.send("halo")
    finally:
        mp.undo()
    assert client.said() == ["utter_error"]
    await client.send("menu")  # and nothing was lost
    assert client.said() == ["utter_menu"]


async def test_two_engines_on_one_database_keep_every_answer(
    settings: Settings, clock: FrozenClock
) -> None:
    """Two processes (two engines with their own pools) get one person's answers at the same
    time, as several webhook replicas would: none may be lost or applied twice."""
    first = await build_app(settings, clock=clock)
    second = await build_app(settings, clock=clock)
    try:
        client = await consented(ChatClient(first.engine, user="both"))
        await client.click("menu:eligibility")
        for payload in ("laid_off:yes", "reason:employer", "citizen:yes", "age_ok:yes",
                        "contract:pkwtt"):  # fmt: skip
            await client.click(payload)
        await client.send("15-03-2025")
        engines = [first.engine, second.engine] * 3
        events = [
            InboundEvent("console", "both", EventKind.TEXT, text="1", event_id=f"two{i}")
            for i in range(6)
        ]
        await asyncio.gather(*(e.handle(ev) for e, ev in zip(engines, events, strict=True)))
        snap = await snapshot(first, "console", "both")
        assert snap is not None
        async with first.db.read() as conn:
            record = await load_eligibility(conn, snap.person.id)
        # Six "1"s answered the six questions that were left, one after the other.
        assert record is not None, await stored_state(first, "console", "both")
        assert record.answers["contribution_months"] == 1
        assert record.answers["consecutive_months"] == 1
        assert await count(first, ProcessedEventModel) >= 8
    finally:
        await first.close()
        await second.close()


async def test_an_outage_during_the_apology_leaves_the_event_unhandled(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug, then the database goes away before the apology is queued: the channel must be
    told the event was not handled (so it comes again), not that it was."""
    from bot.storage.db import StorageUnavailable

    await consented(ChatClient(sqlite_app.engine, user="ap"))

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("bug")

    async def down(*_: object, **__: object) -> None:
        raise StorageUnavailable("database unavailable")

    monkeypatch.setattr(sqlite_app.engine.router, "route", broken)
    monkeypatch.setattr(sqlite_app.engine, "_enqueue", down)
    event = InboundEvent("console", "ap", EventKind.TEXT, text="halo", event_id="ap-1")
    with pytest.raises(StorageUnavailable):
        await sqlite_app.engine.handle(event)
