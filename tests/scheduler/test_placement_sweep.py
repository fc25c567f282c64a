"""The placement deadline reminders (scheduler/placement.py) on SQLite and PostgreSQL, with
the frozen clock: written once (a rerun, or a second process, adds nothing), not after the
report is finished, essential despite STOP, never without consent or after HAPUS, only in
daytime in the person's own zone, and a sweep that missed days sends only the newest."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, text, update

from bot.app import App, build_app
from bot.core.types import SystemEvent
from bot.records.placement_model import REMIND
from bot.records.placement_table import Placement
from bot.records.placements import due_reminders, placed_person_ids, placed_persons
from bot.settings import Settings
from bot.storage import outbox
from bot.storage.models import Person, table
from bot.testing.client import ChatClient, consented
from bot.testing.clock import FrozenClock
from scheduler.jobs import build_scheduler
from scheduler.placement import JOB, sweep_placement_reminders

PL, P = table(Placement), table(Person)
# Hired Fri 30 May 2025 (the clock starts Mon 2 Jun, 10:00 WIB): deadline Wed 11 Jun (Idul
# Adha Fri 6 Jun); reminders Tue 3 Jun (5), Thu 5 Jun (3), Tue 10 Jun (1), Wed 11 Jun (0).
HIRED = "30-05-2025"


def at(day: int, hour_utc: int, minute: int = 0) -> datetime:
    return datetime(2025, 6, day, hour_utc, minute, tzinfo=UTC)


async def hired(app: App, user: str = "a") -> ChatClient:
    client = await consented(ChatClient(app.engine, user=user))
    await client.click("menu:placement")
    await client.send(HIRED)
    assert client.said() == ["utter_placement_deadline", "utter_ask_placement_company"]
    return client


async def placement_row(app: App) -> Any:
    async with app.db.read() as conn:
        return (await conn.execute(select(PL))).one()


async def sweep(app: App, clock: FrozenClock, when: datetime, batch: int = 500) -> int:
    clock.now = when
    return await sweep_placement_reminders(app, when, batch)


async def delivered(client: ChatClient) -> list[str]:
    before = len(client.output.replies)
    await client.sender.drain()
    return [k for r in client.output.replies[before:] for k in r.keys]


async def test_a_reminder_is_written_once_and_opens_the_report(
    app: App, clock: FrozenClock
) -> None:
    client = await hired(app)
    row = await placement_row(app)
    assert (row.status, row.hired_on, row.deadline, row.next_remind_on) == (
        "started",
        date(2025, 5, 30),
        date(2025, 6, 11),
        date(2025, 6, 3),
    )
    assert await sweep(app, clock, at(2, 5)) == 0  # today: no reminder day yet
    assert await sweep(app, clock, at(3, 3)) == 1  # Tue 3 Jun, 10:00 WIB
    assert await delivered(client) == ["utter_placement_reminder"]
    reminder = client.output.replies[-1]
    assert "11 Juni 2025, 5 hari kerja lagi" in reminder.text
    assert reminder.payloads() == ["menu:placement"]
    assert (await placement_row(app)).next_remind_on == date(2025, 6, 5)
    assert await sweep(app, clock, at(3, 4)) == 0  # a rerun the same day
    assert await delivered(client) == []
    # A second process that read the row before it moved (or a crash before the move):
    # the idempotency key keeps the reminder single.
    async with app.db.write() as conn:
        await conn.execute(update(PL).values(next_remind_on=date(2025, 6, 3)))
    assert await sweep(app, clock, at(3, 5)) == 0
    async with app.db.read() as conn:
        assert await outbox.pending_count(conn) == 0
    assert (await placement_row(app)).next_remind_on == date(2025, 6, 5)
    # The button opens the report where it stopped (typed as its number on plain text).
    await client.send("1")
    assert client.said() == ["utter_placement_resume", "utter_ask_placement_company",
                             "utter_footer"]  # fmt: skip


async def test_every_reminder_then_none_after_the_deadline(app: App, clock: FrozenClock) -> None:
    client = await hired(app)
    said: list[list[str]] = []
    for day in (3, 4, 5, 6, 9, 10, 11, 12, 13):
        await sweep(app, clock, at(day, 3))
        said.append(await delivered(client))
    reminder, today = ["utter_placement_reminder"], ["utter_placement_reminder_today"]
    assert said == [reminder, [], reminder, [], [], reminder, today, [], []]
    assert "hari ini, 11 Juni 2025" in client.output.replies[-1].text
    assert (await placement_row(app)).next_remind_on is None


async def test_a_sweep_that_missed_days_sends_only_the_newest(app: App, clock: FrozenClock) -> None:
    client = await hired(app)
    assert await sweep(app, clock, at(10, 7)) == 1  # down since Mon 2 Jun; Tue 10 Jun 14:00 WIB
    assert await delivered(client) == ["utter_placement_reminder"]
    assert "1 hari kerja lagi" in client.output.replies[-1].text
    assert (await placement_row(app)).next_remind_on == date(2025, 6, 11)


async def test_none_after_the_report_is_finished(app: App, clock: FrozenClock) -> None:
    client = await hired(app)
    await client.send("PT Maju Jaya")
    await client.send("Operator produksi")
    await client.click("placement_photo:skip")
    await client.click("placement_confirm:yes")
    assert client.said() == ["utter_placement_reported", "utter_menu"]
    row = await placement_row(app)
    assert (row.status, row.company, row.next_remind_on) == ("reported", "PT Maju Jaya", None)
    assert row.reported_at == at(2, 3)
    for day in (3, 5, 10, 11):
        assert await sweep(app, clock, at(day, 3)) == 0
    assert await delivered(client) == []
    # The monthly sweeps leave placed people out.
    async with app.db.read() as conn:
        assert await placed_person_ids(conn) == {row.person_id}
        left = await conn.scalars(select(P.c.id).where(P.c.id.not_in(placed_persons())))
        assert row.person_id not in set(left)
        # The company and the position are encrypted at rest.
        raw = (await conn.execute(text("SELECT company, position FROM placements"))).one()
        assert "Maju" not in raw.company and "Operator" not in raw.position


async def test_a_reminder_raised_just_before_finishing_says_nothing(
    app: App, clock: FrozenClock
) -> None:
    client = await hired(app)
    clock.now = at(3, 3)
    async with app.db.read() as conn:
        due = await due_reminders(conn, date(2025, 6, 3))
    assert len(due) == 1
    await client.send("PT Maju Jaya")
    await client.send("Operator produksi")
    await client.click("placement_photo:skip")
    await client.click("placement_confirm:yes")
    # The row is no longer selected; and even a reminder event for it says nothing.
    assert await sweep(app, clock, at(3, 4)) == 0
    event = SystemEvent(due[0].person_id, REMIND, {"deadline": "2025-06-11", "offset": 5},
                        key="late", essential=True)  # fmt: skip
    assert await app.engine.handle_system(event) == 0
    assert await delivered(client) == []


async def test_essential_despite_stop(app: App, clock: FrozenClock) -> None:
    client = await hired(app)
    await client.send("stop")
    assert client.said() == ["utter_stopped"]
    assert await sweep(app, clock, at(3, 3)) == 1
    assert await delivered(client) == ["utter_placement_reminder"]


async def test_never_without_consent_nor_after_hapus(app: App, clock: FrozenClock) -> None:
    withdrawn = await hired(app, user="withdrawn")
    gone = await hired(app, user="gone")
    async with app.db.write() as conn:
        person = (await conn.execute(select(PL.c.person_id).order_by(PL.c.id))).scalars().first()
        await conn.execute(update(P).where(P.c.id == person).values(consent="declined"))
    await gone.send("hapus")
    await gone.click("delete:yes")
    async with app.db.read() as conn:
        assert len((await conn.execute(select(PL))).all()) == 1  # HAPUS took theirs
    assert await sweep(app, clock, at(3, 3)) == 0
    assert await delivered(withdrawn) == [] and await delivered(gone) == []


async def test_only_in_daytime_in_the_persons_zone(app: App, clock: FrozenClock) -> None:
    west = await hired(app, user="west")  # no province: the bot's zone, WIB
    east = await hired(app, user="east")
    async with app.db.write() as conn:
        person = (await conn.execute(select(PL.c.person_id).order_by(PL.c.id.desc()))).scalar()
        await conn.execute(update(P).where(P.c.id == person).values(tz="Asia/Jayapura"))
    assert await sweep(app, clock, at(2, 14)) == 0  # Mon 21:00 WIB, 23:00 WIT
    assert await sweep(app, clock, at(2, 22)) == 0  # Tue 05:00 WIB, 07:00 WIT
    # 06:30 WIB, 08:30 WIT: the east (read in pages of one: the west, skipped, blocks nothing)
    assert await sweep(app, clock, at(2, 23, 30), batch=1) == 1
    assert await delivered(east) == ["utter_placement_reminder"]
    assert await delivered(west) == []
    assert await sweep(app, clock, at(3, 0, 59)) == 0  # 07:59 WIB
    assert await sweep(app, clock, at(3, 1)) == 1  # 08:00 WIB: the west
    assert await delivered(west) == ["utter_placement_reminder"]
    assert await sweep(app, clock, at(3, 13)) == 0  # 20:00 WIB, done for the day anyway


async def test_two_processes_sweeping_at_once_queue_one_reminder(
    app: App, settings: Settings, clock: FrozenClock
) -> None:
    client = await hired(app)
    other = await build_app(settings, clock=clock)  # a second process on the same database
    try:
        clock.now = at(3, 3)
        counts = await asyncio.gather(
            sweep_placement_reminders(app, clock.now), sweep_placement_reminders(other, clock.now)
        )
    finally:
        await other.close()
    assert sorted(counts) == [0, 1]
    assert await delivered(client) == ["utter_placement_reminder"]
    assert (await placement_row(app)).next_remind_on == date(2025, 6, 5)


async def test_the_sweep_is_scheduled_next_to_the_purge(sqlite_app: App) -> None:
    scheduler = build_scheduler(sqlite_app)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job(JOB)
        assert job is not None and job.trigger.interval.total_seconds() == 900
        assert job.coalesce and job.max_instances == 1
    finally:
        scheduler.shutdown(wait=False)
