"""The periodic jobs: the retention purge is scheduled daily and does its work."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.app import App
from bot.testing.client import ChatClient, consented
from bot.testing.clock import FrozenClock
from scheduler.jobs import PURGE_JOB, build_scheduler, purge_inactive


async def test_purge_is_scheduled_daily_at_three_local_time(sqlite_app: App) -> None:
    scheduler = build_scheduler(sqlite_app)
    scheduler.start()
    try:
        job = scheduler.get_job(PURGE_JOB)
        assert job is not None
        zone = ZoneInfo("Asia/Jakarta")
        after = datetime(2026, 11, 28, 3, 0, 1, tzinfo=zone)
        assert job.trigger.get_next_fire_time(None, after) == datetime(
            2026, 11, 29, 3, 0, tzinfo=zone
        )
    finally:
        scheduler.shutdown(wait=False)


async def test_purge_job_deletes_only_the_silent(sqlite_app: App) -> None:
    clock = sqlite_app.engine.clock
    assert isinstance(clock, FrozenClock)
    await consented(ChatClient(sqlite_app.engine, user="old"))
    clock.advance(days=sqlite_app.settings.retention_days + 1)
    await consented(ChatClient(sqlite_app.engine, user="recent"))
    assert await purge_inactive(sqlite_app) == 1
    assert await purge_inactive(sqlite_app) == 0
