"""Monthly progress updates (issue 10): each of the three messages reaches exactly the
persons it is due to (met / behind / STOP / no consent / night / another zone), personal
and with the button to the evidence dialog; reruns, two sweeps at once and catching up
after downtime queue each message once; DATA shows them and HAPUS removes them. On SQLite
and PostgreSQL, with the frozen clock (no sleeps)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.app import App
from bot.core.types import OutboundMessage
from bot.records.benefit import set_benefit_start
from bot.records.model import RecordApplication
from bot.records.monthly import last_run, mark_run
from bot.records.monthly_tables import MonthlyNotice
from bot.settings import Settings, SettingsError
from bot.storage.models import Person, ProcessedEvent, table
from bot.testing.client import ChatClient, CollectingOutput, Reply, consented
from bot.testing.clock import FrozenClock
from bot.testing.db import apply_effects, count, snapshot
from scheduler.jobs import build_scheduler
from scheduler.monthly import CATCH_UP_JOB, JOB, catch_up, monthly_sweep
from scheduler.outbox import OutboxSender

START = date(2026, 1, 1)  # month 1: 1-31 Jan (nudge 16 Jan, warn 29 Jan); month 2: 1-28 Feb
FEB_1_10_WIB = datetime(2026, 2, 1, 3, 0, tzinfo=UTC)  # (nudge 15 Feb, warn 26 Feb)


async def person(
    app: App,
    user: str,
    *,
    start: date | None = START,
    tz: str | None = None,
    consent: bool = True,
    stop: bool = False,
) -> int:
    client = ChatClient(app.engine, user=user)
    if consent:
        await consented(client)
    else:
        await client.send("halo")  # the welcome: no consent yet
    if stop:
        await client.send("STOP")
    snap = await snapshot(app, "console", user)
    assert snap is not None
    async with app.db.write() as conn:
        await set_benefit_start(conn, snap.person.id, start, app.engine.clock())
        P = table(Person)
        await conn.execute(update(P).where(P.c.id == snap.person.id).values(tz=tz))
    return snap.person.id


async def applied(app: App, person_id: int, n: int, on: date) -> None:
    """``n`` catalogue applications to different companies on ``on``."""
    for i in range(n):
        await apply_effects(app, person_id, RecordApplication(
            "test", f"{person_id}-{on}-{i}", "Operator", f"PT Maju {i}", on=on))  # fmt: skip


async def delivered(app: App) -> dict[str, list[Reply]]:
    """Send what is queued for the console; the replies per user."""
    collect = CollectingOutput(app.engine.domain, "console")
    out: dict[str, list[Reply]] = {}

    async def deliver(address: str, message: OutboundMessage) -> None:
        await collect(address, message)
        out.setdefault(address, []).append(collect.replies[-1])

    sender = OutboxSender(app.db, "console", deliver, app.engine.clock, per_second=0,
                          chat_interval=0)  # fmt: skip
    await sender.drain()
    return out


def at(clock: FrozenClock, when: datetime) -> None:
    clock.now = when


async def test_month_start_says_how_the_month_before_ended_and_what_this_one_needs(
    app: App, clock: FrozenClock
) -> None:
    at(clock, datetime(2026, 1, 2, 3, 0, tzinfo=UTC))
    met = await person(app, "met")
    behind = await person(app, "behind")
    await person(app, "stopped", stop=True)
    await person(app, "no-consent", consent=False)
    await person(app, "no-start", start=None)
    await applied(app, met, 5, date(2026, 1, 10))
    await applied(app, behind, 2, date(2026, 1, 10))
    await delivered(app)  # what the setup said

    at(clock, FEB_1_10_WIB)
    assert await monthly_sweep(app) == 2
    got = await delivered(app)
    assert set(got) == {"met", "behind"}
    (to_met,) = got["met"]
    assert "Bulan manfaat ke-1 sudah selesai, dan syaratnya terpenuhi" in to_met.plain
    assert "Bulan manfaat ke-2 dari 6 sudah dimulai (1 Februari 2026 s.d. 28 Februari 2026)" in (
        to_met.plain
    )
    assert "melamar ke 5 perusahaan lewat katalog" in to_met.plain
    (to_behind,) = got["behind"]
    assert "Bulan manfaat ke-1 sudah selesai, tetapi syaratnya belum terpenuhi" in to_behind.plain
    assert "- Lamaran lewat katalog: 2 dari 5 perusahaan" in to_behind.plain
    assert to_behind.payloads() == ["menu:evidence", "menu:vacancies:forme"]
    assert "Ketik STOP" in to_behind.plain

    # a rerun, later the same day: nothing new
    clock.advance(hours=2)
    assert await monthly_sweep(app) == 0
    assert await delivered(app) == {}

    # the button opens the evidence dialog on this month
    client = ChatClient(app.engine, user="behind")
    replies = await client.click("menu:evidence")
    assert "Bulan manfaat ke-2 dari 6" in replies[-1].plain


async def test_nudge_and_warning_go_only_to_those_behind(app: App, clock: FrozenClock) -> None:
    at(clock, datetime(2026, 2, 2, 3, 0, tzinfo=UTC))
    met = await person(app, "met")
    behind = await person(app, "behind")
    await person(app, "stopped", stop=True)
    await applied(app, met, 5, date(2026, 2, 2))
    await applied(app, behind, 2, date(2026, 2, 2))
    assert await monthly_sweep(app) == 2  # the start of month 2, to both
    await delivered(app)

    at(clock, datetime(2026, 2, 14, 3, 0, tzinfo=UTC))  # the day before mid-month
    assert await monthly_sweep(app) == 0

    at(clock, datetime(2026, 2, 15, 3, 0, tzinfo=UTC))
    assert await monthly_sweep(app) == 1
    got = await delivered(app)
    assert list(got) == ["behind"]
    (nudge,) = got["behind"]
    assert "Bulan manfaat ke-2 sudah setengah jalan: sisa 14 hari" in nudge.plain
    assert "- Lamaran lewat katalog: 2 dari 5 perusahaan" in nudge.plain
    assert "3 lagi lewat katalog" in nudge.plain
    assert nudge.payloads() == ["menu:evidence", "menu:vacancies:forme"]
    assert await monthly_sweep(app) == 0

    at(clock, datetime(2026, 2, 26, 3, 0, tzinfo=UTC))
    assert await monthly_sweep(app) == 1
    (warning,) = (await delivered(app))["behind"]
    assert "Tinggal 3 hari lagi: bulan manfaat ke-2 berakhir 28 Februari 2026" in warning.plain
    assert "2 dari 5 perusahaan" in warning.plain
    at(clock, datetime(2026, 2, 28, 3, 0, tzinfo=UTC))
    assert await monthly_sweep(app) == 0  # once per month, not once per day


async def test_met_after_the_nudge_no_warning(app: App, clock: FrozenClock) -> None:
    at(clock, datetime(2026, 2, 2, 3, 0, tzinfo=UTC))
    behind = await person(app, "behind")
    assert await monthly_sweep(app) == 1  # the start of month 2
    at(clock, datetime(2026, 2, 15, 3, 0, tzinfo=UTC))
    assert await monthly_sweep(app) == 1
    await applied(app, behind, 5, date(2026, 2, 20))
    at(clock, datetime(2026, 2, 26, 3, 0, tzinfo=UTC))
    assert await monthly_sweep(app) == 0


async def test_daytime_in_each_persons_own_zone(app: App, clock: FrozenClock) -> None:
    at(clock, datetime(2026, 1, 20, 3, 0, tzinfo=UTC))
    await person(app, "wib")  # no zone of their own: the bot's (WIB)
    await person(app, "wita", tz="Asia/Makassar")
    await person(app, "wit", tz="Asia/Jayapura")
    await delivered(app)

    # 31 Jan 22:00 UTC: 1 Feb 07:00 in Jayapura, 05:00 in Jakarta: night everywhere
    at(clock, datetime(2026, 1, 31, 22, 0, tzinfo=UTC))
    assert await monthly_sweep(app) == 0
    # 23:30 UTC: 08:30 on 1 Feb in Jayapura (while still 31 Jan in UTC); WITA, WIB asleep
    at(clock, datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
    assert await monthly_sweep(app) == 1
    assert list(await delivered(app)) == ["wit"]
    at(clock, datetime(2026, 2, 1, 0, 30, tzinfo=UTC))  # 08:30 WITA, 07:30 WIB
    assert await monthly_sweep(app) == 1
    assert list(await delivered(app)) == ["wita"]
    at(clock, datetime(2026, 2, 1, 1, 0, tzinfo=UTC))  # 08:00 WIB
    assert await monthly_sweep(app) == 1
    assert list(await delivered(app)) == ["wib"]
    at(clock, datetime(2026, 2, 1, 13, 0, tzinfo=UTC))  # 20:00 WIB: evening, and all done
    assert await monthly_sweep(app) == 0


async def test_evening_is_not_daytime(app: App, clock: FrozenClock) -> None:
    at(clock, datetime(2026, 1, 20, 3, 0, tzinfo=UTC))
    await person(app, "wib")
    at(clock, datetime(2026, 2, 1, 13, 0, tzinfo=UTC))  # 20:00 WIB
    assert await monthly_sweep(app) == 0
    at(clock, datetime(2026, 2, 2, 1, 0, tzinfo=UTC))  # the next morning: still the start
    assert await monthly_sweep(app) == 1


async def test_two_sweeps_at_once_queue_each_message_once(app: App, clock: FrozenClock) -> None:
    at(clock, datetime(2026, 1, 20, 3, 0, tzinfo=UTC))
    for i in range(12):
        await person(app, f"p{i}")
    await delivered(app)
    at(clock, FEB_1_10_WIB)
    first, second = await asyncio.gather(monthly_sweep(app), monthly_sweep(app))
    assert first + second == 12
    got = await delivered(app)
    assert sorted(got) == sorted(f"p{i}" for i in range(12))
    assert all(len(replies) == 1 for replies in got.values())
    assert await count(app, MonthlyNotice) == 12


async def test_catching_up_after_downtime_runs_once(app: App, clock: FrozenClock) -> None:
    at(clock, datetime(2026, 1, 20, 3, 0, tzinfo=UTC))
    await person(app, "behind")
    await delivered(app)
    async with app.db.write() as conn:  # the last run, by any process: before the month began
        await mark_run(conn, JOB, datetime(2026, 1, 31, 3, 0, tzinfo=UTC), 0)

    # down from 31 Jan to 20 Feb: the start of month 2 is past, the nudge is due
    at(clock, datetime(2026, 2, 20, 3, 0, tzinfo=UTC))
    assert await catch_up(app) is True
    (only,) = (await delivered(app))["behind"]
    assert "sudah setengah jalan" in only.plain
    async with app.db.read() as conn:
        assert await last_run(conn, JOB) == clock.now
    # a restart soon after: the last run is recent, nothing runs
    clock.advance(minutes=5)
    assert await catch_up(app) is False
    # a restart after the interval: it runs, and has nothing left to say
    clock.advance(minutes=app.settings.monthly_sweep_minutes)
    assert await catch_up(app) is True
    assert await delivered(app) == {}


async def test_the_scheduler_has_the_sweep_and_its_catch_up(sqlite_app: App) -> None:
    scheduler = build_scheduler(sqlite_app)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("monthly-updates")
        assert job is not None and job.coalesce
        assert job.trigger.interval == timedelta(minutes=sqlite_app.settings.monthly_sweep_minutes)
        assert scheduler.get_job(CATCH_UP_JOB) is not None
    finally:
        scheduler.shutdown(wait=False)


async def test_data_shows_the_messages_and_hapus_removes_them(app: App, clock: FrozenClock) -> None:
    at(clock, datetime(2026, 1, 20, 3, 0, tzinfo=UTC))
    await person(app, "u1")
    at(clock, FEB_1_10_WIB)
    assert await monthly_sweep(app) == 1
    client = ChatClient(app.engine, user="u1")
    data = await client.send("DATA")
    assert "Pesan awal bulan manfaat ke-2: dikirim 1 Februari 2026" in data[-1].plain
    assert await count(app, MonthlyNotice) == 1
    E = table(ProcessedEvent)
    monthly_keys = (E.c.channel == "system", E.c.event_id.like("monthly:%"))
    assert await count(app, ProcessedEvent, *monthly_keys) == 1
    await client.send("HAPUS")
    await client.click("delete:yes")
    assert await count(app, MonthlyNotice) == 0
    assert await count(app, ProcessedEvent, *monthly_keys) == 0


def test_update_hours_setting() -> None:
    assert Settings.from_env({}).monthly_hours == (8 * 60, 20 * 60)
    assert Settings.from_env({"MONTHLY_UPDATE_HOURS": "07.30-21:00"}).monthly_hours == (450, 1260)
    assert Settings.from_env({"MONTHLY_UPDATE_HOURS": "00:00-24:00"}).monthly_hours == (0, 1440)
    for bad in ("8-20", "20:00-08:00", "08:00-25:00"):
        with pytest.raises(SettingsError, match="MONTHLY_UPDATE_HOURS"):
            Settings.from_env({"MONTHLY_UPDATE_HOURS": bad})
