"""Placement-report deadline reminders (issue 10), a job of its own
(``placement-reminders``, every 15 minutes).

A person who gave the date they were hired but has not finished the report ("Lapor diterima
kerja") is reminded 5, 3 and 1 working day(s) before the deadline and on the deadline day
(``RuleSettings.placement_reminder_working_days``; bot/rules/placement.py). The sweep:

1. selects, in one SQL query on ``ix_placements_due``, the started reports of consenting
   persons whose next reminder day (``placements.next_remind_on``) has come somewhere;
2. for each, in the person's own zone (``persons.tz``, from their registered province; else
   ``JKP_TIMEZONE``): skips it until that local day has come and it is daytime there (08:00 to
   20:00); raises the newest reminder due (a sweep that missed days sends one, not each) as an
   **essential** system event — sent even to a person who said STOP, never without consent —
   keyed ``placement-remind:<person>:<deadline>:<offset>``, so a rerun or a second process
   writes it once;
3. moves ``next_remind_on`` to the following reminder day (NULL after the deadline), only if
   nobody moved it meanwhile.

Finishing the report sets the status to ``reported`` and clears ``next_remind_on``: the
reminders stop (and the dialog says nothing for a reminder raised just before). Like every
job, it only writes; the senders send.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.types import SystemEvent
from bot.records import placements
from bot.records.placement_model import REMIND
from bot.rules.placement import due_reminder, in_daytime, next_reminder_day, reminder_key

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
JOB = "placement-reminders"
EVERY = timedelta(minutes=15)
BATCH = 500  # reports read per query
AHEAD = timedelta(hours=14)  # the furthest any zone is ahead of UTC: its date comes first


async def sweep_placement_reminders(
    app: App, now: datetime | None = None, batch: int = BATCH
) -> int:
    """Raise the placement reminders that are due at ``now`` (default: the engine's clock);
    returns how many reminders were queued."""
    now = now or app.engine.clock()
    queued = 0
    page: list[placements.DueReminder] = []
    while True:
        async with app.db.read() as conn:
            page = await placements.due_reminders(
                conn, (now.astimezone(UTC) + AHEAD).date(), batch, page[-1] if page else None
            )
        for row in page:
            queued += await _remind(app, row, now)
        if len(page) < batch:
            break
    if queued:
        log.info("placement: %d deadline reminder(s) queued", queued)
    return queued


async def _remind(app: App, row: placements.DueReminder, now: datetime) -> int:
    """One report whose reminder day has come somewhere; returns 1 if a reminder was queued."""
    rules = app.settings.rules
    local = now.astimezone(ZoneInfo(row.tz) if row.tz else app.settings.zone)
    today = local.date()
    if today < row.next_remind_on or not in_daytime(local):
        return 0  # not yet that day there, or night: a later run takes it
    queued = 0
    reminder = due_reminder(row.hired_on, today, rules)
    if reminder is not None:
        event = SystemEvent(
            row.person_id, REMIND,
            {"deadline": row.deadline.isoformat(), "offset": reminder.offset},
            key=reminder_key(row.person_id, row.deadline, reminder.offset), essential=True,
        )  # fmt: skip
        queued = 1 if await app.engine.handle_system(event) else 0
    async with app.db.write() as conn:
        following = next_reminder_day(row.hired_on, today, rules)
        await placements.advance_reminder(conn, row.placement_id, row.next_remind_on, following)
    return queued


def add_placement_jobs(scheduler: AsyncIOScheduler, app: App) -> None:
    scheduler.add_job(
        sweep_placement_reminders,
        IntervalTrigger(seconds=int(EVERY.total_seconds())),
        args=[app],
        id=JOB,
        coalesce=True,  # after downtime, one run (which sends the newest reminder due)
        misfire_grace_time=int(EVERY.total_seconds()),
        max_instances=1,
        replace_existing=True,
    )
