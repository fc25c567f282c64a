"""Monthly progress updates (issue 10): the sweep job ``monthly-updates``.

Every ``MONTHLY_SWEEP_MINUTES`` (15), for each time zone of Indonesia (WIB, WITA, WIT, and
the bot's own) where it is now daytime (``MONTHLY_UPDATE_HOURS``, 08:00-20:00 local), it
selects by SQL who is due which monthly message on that zone's date (bot/records/monthly.py:
plain indexed columns, persons who agreed and did not say STOP, not sent yet) and raises one
system event each (``monthly_start`` / ``monthly_nudge`` / ``monthly_warn``, keyed by person,
month and kind). The engine runs the monthly dialog for it and queues its message in the
outbox in the same transaction that records the notice: a sweep never sends, and a rerun, a
restart or a second process never queues a message twice.

**Catching up.** Each run is stored (``job_runs``). At start the scheduler runs the sweep at
once if the last run, by any process, is older than the interval: one run, however long the
process was down; the selection covers each part of the month until its end, so what a
missed day should have said is said then (once).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.types import SystemEvent
from bot.dialogs.monthly import EVENT
from bot.records import monthly
from bot.storage.db import StorageUnavailable

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
JOB = "monthly-updates"
CATCH_UP_JOB = "monthly-updates-catch-up"
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")  # WIB, WITA, WIT
BATCH = 200
RUNNING: set[asyncio.Task[object]] = set()  # sweeps under way: a stopping process waits for them


def daytime_zones(app: App, now: datetime) -> list[str]:
    """The zones (ours included) where ``now`` falls within the update hours."""
    first, end = app.settings.monthly_hours
    zones = sorted({*ZONES, app.settings.timezone})
    out = []
    for zone in zones:
        local = now.astimezone(ZoneInfo(zone))
        if first <= local.hour * 60 + local.minute < end:
            out.append(zone)
    return out


async def monthly_sweep(
    app: App,
    now: datetime | None = None,
    *,
    concurrency: int | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Raise every monthly message due at ``now`` (default: the engine's clock, which the
    turns use too); returns how many events queued a message. ``stop`` set: it ends after
    the batch in hand, and the run is not recorded (the next start catches up)."""
    tracked = _track()
    try:
        now = now or app.engine.clock()
        if concurrency is None:
            concurrency = 1 if app.db.sqlite else 8
        queued = 0
        for zone in daytime_zones(app, now):
            today = now.astimezone(ZoneInfo(zone)).date()
            default = zone == app.settings.timezone
            for kind in monthly.KINDS:
                queued += await _sweep_one(app, kind, today, zone, default, concurrency, stop)
        if stop is not None and stop.is_set():
            log.info("monthly updates: stopped after %d message(s); the rest at the next run",
                     queued)  # fmt: skip
            return queued
        async with app.db.write() as conn:
            await monthly.mark_run(conn, JOB, now, queued)
        if queued:
            log.info("monthly updates: %d message(s) queued", queued)
        return queued
    finally:
        _untrack(tracked)


async def _sweep_one(
    app: App,
    kind: str,
    today: date,
    zone: str,
    default: bool,
    concurrency: int,
    stop: asyncio.Event | None,
) -> int:
    queued = 0
    gate = asyncio.Semaphore(concurrency)

    async def raise_event(person_id: int, number: int) -> int:
        event = SystemEvent(person_id, EVENT[kind], {"month": number},
                            key=monthly.event_key(person_id, number, kind))  # fmt: skip
        async with gate:
            try:
                return await app.engine.handle_system(event)
            except StorageUnavailable:
                raise
            except Exception:  # one person's failure must not stop everyone else's message
                log.exception("monthly %s for person %s failed", kind, person_id)
                return 0

    after = 0  # pages in person order: a person whose turn failed waits for the next run
    while stop is None or not stop.is_set():
        async with app.db.read() as conn:
            rows = await monthly.due(conn, kind, today, zones={zone}, default_zone=default,
                                     limit=BATCH, after=after)  # fmt: skip
        if not rows:
            return queued
        after = rows[-1][0]
        results = await asyncio.gather(*(raise_event(p, n) for p, n in rows))
        queued += sum(1 for r in results if r)
    return queued


async def catch_up(app: App, stop: asyncio.Event | None = None) -> bool:
    """At start: run the sweep once if no process ran it within the interval."""
    tracked = _track()
    try:
        if stop is not None and stop.is_set():
            return False
        now = app.engine.clock()
        async with app.db.read() as conn:
            last = await monthly.last_run(conn, JOB)
        interval = timedelta(minutes=app.settings.monthly_sweep_minutes)
        if last is not None and now - last < interval:
            return False
        log.info("monthly updates: last run %s; catching up now", last or "never")
        await monthly_sweep(app, now, stop=stop)
        return True
    finally:
        _untrack(tracked)


def _track() -> asyncio.Task[object] | None:
    """Count the running task among the sweeps under way (once, however nested)."""
    task = asyncio.current_task()
    if task is None or task in RUNNING:
        return None
    RUNNING.add(task)
    return task


def _untrack(task: asyncio.Task[object] | None) -> None:
    if task is not None:
        RUNNING.discard(task)


def add_monthly_jobs(
    scheduler: AsyncIOScheduler, app: App, stop: asyncio.Event | None = None
) -> None:
    """The sweep every ``MONTHLY_SWEEP_MINUTES`` and its catch-up at start; ``stop``: the
    process is stopping (a sweep under way ends after its batch)."""
    scheduler.add_job(
        monthly_sweep,
        IntervalTrigger(minutes=app.settings.monthly_sweep_minutes),
        args=[app],
        kwargs={"stop": stop},
        id=JOB,
        coalesce=True,  # missed runs while busy or suspended: one run, not one per miss
        misfire_grace_time=app.settings.monthly_sweep_minutes * 60,
        max_instances=1,
        replace_existing=True,
    )
    scheduler.add_job(catch_up, "date", args=[app, stop], id=CATCH_UP_JOB,
                      replace_existing=True, misfire_grace_time=None)  # fmt: skip


async def finish_sweeps(timeout: float) -> None:  # noqa: ASYNC109
    """Wait for the sweeps under way (told to stop) to end their batch."""
    if RUNNING:
        await asyncio.wait(set(RUNNING), timeout=timeout)
