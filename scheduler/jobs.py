"""Periodic jobs (APScheduler 3.x, in the bot's event loop). A job never sends: when a later
issue adds reminders, their jobs will write to the outbox with an idempotency key.

Today there is one job: the daily retention purge (UU 27/2022 Pasal 43), at 03:00 in the
bot's time zone. The same work is `jkp-bot purge`, for deployments that prefer cron.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.app import App
from bot.storage.repo import UserRepo

log = logging.getLogger(__name__)
PURGE_JOB = "retention-purge"


async def purge_inactive(app: App) -> int:
    """Delete users silent for longer than the retention period; returns how many."""
    async with app.engine.sessions() as session, session.begin():
        deleted = await UserRepo(session).purge_inactive(
            app.engine.clock(), app.settings.retention_days
        )
    if deleted:
        log.info("retention purge: deleted %d inactive user(s)", deleted)
    return deleted


def build_scheduler(app: App) -> AsyncIOScheduler:
    """The jobs, not yet started (``scheduler.start()`` inside the running loop)."""
    scheduler = AsyncIOScheduler(timezone=app.settings.timezone)
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
    return scheduler
