"""Periodic jobs (APScheduler 3.x, in the bot's event loop). A job never sends: it writes to
the outbox (through the engine's system events) with an idempotency key.

The placement-report deadline reminders (scheduler/placement.py) run every 15 minutes.

The retention purge (UU 27/2022 Pasal 43) runs daily at 03:00 in the bot's time zone; the same
work is `jkp-bot purge`, for deployments that prefer cron. It deletes in small batches, each
its own short transaction, so people writing meanwhile are not kept waiting (and a purge
killed halfway loses nothing: the next run continues).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import App
from bot.core.services import Scope
from bot.storage import outbox, people
from scheduler.fallback import Fallback
from scheduler.monthly import add_monthly_jobs
from scheduler.placement import add_placement_jobs, sweep_placement_reminders

log = logging.getLogger(__name__)
PURGE_JOB = "retention-purge"
FALLBACK_JOB = "essential-fallback"
PURGE_BATCH = 50
FINISHED_KEPT = timedelta(days=7)


async def purge_inactive(app: App, batch: int = PURGE_BATCH) -> int:
    """Delete persons silent for longer than the retention period; returns how many."""
    deleted = 0
    while True:
        now = app.engine.clock()
        scope = Scope(None, None, "system", now)
        async with app.db.write() as conn:
            ids = await people.inactive_persons(conn, now, app.settings.retention_days, batch)
            for person_id in ids:
                await app.engine.delete_person(conn, scope, person_id)
        for hook in scope.after_commit:
            await hook()
        deleted += len(ids)
        if len(ids) < batch:
            break
    while True:
        async with app.db.write() as conn:
            forgotten = await people.forget_old_events(conn, app.engine.clock(), batch * 20)
            forgotten += await outbox.forget_finished(
                conn, app.engine.clock() - FINISHED_KEPT, batch * 20
            )
        if forgotten < batch * 20:
            break
    from bot.evidence.upkeep import sweep_files

    await sweep_files(app.db, app.files, app.engine.clock())  # photos no row refers to
    if app.db.sqlite:  # keep the planner's statistics fresh (PostgreSQL's autovacuum does)
        async with app.db.write() as conn:
            await conn.exec_driver_sql("PRAGMA optimize")
    if deleted:
        log.info("retention purge: deleted %d inactive person(s)", deleted)
    return deleted


def build_scheduler(
    app: App, stop: asyncio.Event | None = None, *, fallback: Fallback | None = None
) -> AsyncIOScheduler:
    """The jobs, not yet started (``scheduler.start()`` inside the running loop); ``stop``
    tells a long job that the process is stopping. ``fallback``: essential messages
    undelivered too long are handed to SMS every minute."""
    scheduler = AsyncIOScheduler(timezone=app.settings.timezone)
    if fallback is not None:
        scheduler.add_job(
            fallback.sweep, IntervalTrigger(minutes=1), id=FALLBACK_JOB, coalesce=True,
            max_instances=1, replace_existing=True,
        )  # fmt: skip
    scheduler.add_job(
        purge_inactive,
        CronTrigger(hour=3, minute=0, timezone=app.settings.timezone),
        args=[app],
        id=PURGE_JOB,
        coalesce=True,  # after downtime, one run, not one per missed day
        misfire_grace_time=3600,
        max_instances=1,
        replace_existing=True,
    )
    add_placement_jobs(scheduler, app)  # deadline reminders of the placement report
    add_monthly_jobs(scheduler, app, stop)  # monthly progress updates, caught up once at start
    return scheduler


__all__ = ["build_scheduler", "purge_inactive", "sweep_placement_reminders"]
