"""When to remind someone who said they were hired but has not finished the placement report
(Pedoman 3.7: report within 7 working days of being hired; bot/rules/workdays.py).

The schedule is ``RuleSettings.placement_reminder_working_days`` (default 5, 3 and 1 working
day before the deadline, and the deadline day itself: 0), counted on the same working days
as the deadline, keeping only days after the hire date. These functions are pure: the sweep
(scheduler/placement.py) asks them which reminder is due on a person's local day and which
day comes next, and stores that day in an indexed column.

- **Catching up.** A sweep that did not run for days (the process was down) sends only the
  latest reminder that fell due, not one per missed day (:func:`due_reminder`).
- **Daytime.** Reminders go out between :data:`DAY_START` and :data:`DAY_END` in the person's
  own zone (:func:`in_daytime`); a sweep at night leaves them for the morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from bot.rules.config import RuleSettings
from bot.rules.workdays import add_working_days, placement_deadline

DAY_START = time(8, 0)  # local time: the earliest a reminder is written
DAY_END = time(20, 0)  # ... and the latest (exclusive)


@dataclass(frozen=True)
class Reminder:
    """One reminder day: ``offset`` working days before the deadline (0: the deadline day)."""

    day: date
    offset: int


def reminder_schedule(hire_date: date, rules: RuleSettings) -> tuple[Reminder, ...]:
    """Every reminder day of a person hired on ``hire_date``, earliest first."""
    deadline = placement_deadline(hire_date, rules)
    cuti = rules.cuti_bersama_non_working
    found: dict[date, int] = {}
    for offset in sorted(set(rules.placement_reminder_working_days), reverse=True):
        if offset < 0:
            continue
        day = add_working_days(deadline, -offset, cuti_bersama=cuti)
        if day > hire_date:
            found[day] = offset
    return tuple(Reminder(day, offset) for day, offset in sorted(found.items()))


def due_reminder(hire_date: date, today: date, rules: RuleSettings) -> Reminder | None:
    """The reminder to send on ``today``: the latest reminder day on or before it (so a sweep
    that missed days sends one, the newest), or None before the first one and after the
    deadline."""
    if today > placement_deadline(hire_date, rules):
        return None
    due = [r for r in reminder_schedule(hire_date, rules) if r.day <= today]
    return due[-1] if due else None


def next_reminder_day(hire_date: date, after: date, rules: RuleSettings) -> date | None:
    """The first reminder day after ``after`` (None: no reminder left)."""
    return next((r.day for r in reminder_schedule(hire_date, rules) if r.day > after), None)


def in_daytime(local: datetime) -> bool:
    """Whether ``local`` (a time in the person's zone) is a time to send a reminder."""
    return DAY_START <= local.time() < DAY_END


def reminder_key(person_id: int, deadline: date, offset: int) -> str:
    """The idempotency key of one reminder: a rerun, or a second process, writes it once."""
    return f"placement-remind:{person_id}:{deadline.isoformat()}:{offset}"
