"""Counseling timers (issue 11), a job of its own (``counseling-timers``, every minute):

- **Reminders** of a scheduled session the day before (24 hours), an hour before, and at
  the time (with "Mulai konseling"), each a system event keyed by session and stage, so a
  run repeated, or two processes running it, queue each once. Reminders are automatic
  messages: a person who said STOP does not get them (the stage is marked all the same).
- **An urgent request nobody took** within ``COUNSELING_TAKEOVER_WAIT_MINUTES`` (inside
  office hours): the person is told honestly when someone will answer, once.

Like every job, it only writes (through the engine's door for system events); the senders
send.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.types import SystemEvent
from bot.counseling import store
from bot.counseling.model import AT_TIME, REMIND, WAIT

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
JOB = "counseling-timers"


async def counseling_timers(app: App) -> int:
    """Raise the reminders and wait notices that are due; returns how many events ran."""
    engine = app.engine
    now = engine.clock()
    async with app.db.read() as conn:
        reminders = await store.due_reminders(conn, now)
        waits = await store.waits_over(conn, now, app.settings.counseling.takeover_wait)
    raised = 0
    for session_id, person_id, stage in reminders:
        event = SystemEvent(person_id, REMIND, {"session": session_id, "stage": stage},
                            key=f"counseling-remind:{session_id}:{stage}")  # fmt: skip
        await engine.handle_system(event)
        async with app.db.write() as conn:  # once, even if STOP kept it from being sent
            await store.mark_reminded(conn, session_id, stage)
        raised += 1
    for session_id, person_id in waits:
        event = SystemEvent(person_id, WAIT, {"session": session_id},
                            key=f"counseling-wait:{session_id}", essential=True)  # fmt: skip
        await engine.handle_system(event)
        async with app.db.write() as conn:
            await store.mark_wait_told(conn, session_id)
        raised += 1
    if raised:
        log.info("counseling: %d reminder(s) and wait notice(s); stage %d is the start",
                 raised, AT_TIME)  # fmt: skip
    return raised


def add_counseling_jobs(scheduler: AsyncIOScheduler, app: App) -> None:
    scheduler.add_job(
        counseling_timers,
        IntervalTrigger(minutes=1),
        args=[app],
        id=JOB,
        coalesce=True,
        misfire_grace_time=300,
        max_instances=1,
        replace_existing=True,
    )
