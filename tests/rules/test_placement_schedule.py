"""The placement-report reminder schedule (bot/rules/placement.py): which days, which one is
due on a day (a missed run sends only the newest), what comes next, daytime only. Table-driven
across Lebaran, Christmas and New Year weeks, with cuti bersama counted or not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.rules.config import RuleSettings
from bot.rules.placement import (
    Reminder,
    due_reminder,
    in_daytime,
    next_reminder_day,
    reminder_key,
    reminder_schedule,
)
from bot.rules.workdays import placement_deadline

RULES = RuleSettings()  # reminders 5, 3, 1 working days before the deadline and on it
CUTI = replace(RULES, cuti_bersama_non_working=True)
D = date


@pytest.mark.parametrize(
    ("hired", "rules", "days"),
    [
        # Lebaran 2025: Nyepi Sat 29 Mar, Idul Fitri Mon 31 Mar-Tue 1 Apr; cuti bersama 28 Mar
        # and 2-7 Apr count as working days by default.
        (D(2025, 3, 26), RULES, (D(2025, 3, 28), D(2025, 4, 3), D(2025, 4, 7), D(2025, 4, 8))),
        (D(2025, 3, 26), CUTI, (D(2025, 4, 8), D(2025, 4, 10), D(2025, 4, 14), D(2025, 4, 15))),
        # Lebaran 2026: Nyepi Thu 19 Mar, Idul Fitri on the weekend 21-22 Mar; cuti bersama
        # 18, 20, 23, 24 Mar.
        (D(2026, 3, 13), RULES, (D(2026, 3, 17), D(2026, 3, 20), D(2026, 3, 24), D(2026, 3, 25))),
        (D(2026, 3, 13), CUTI, (D(2026, 3, 17), D(2026, 3, 26), D(2026, 3, 30), D(2026, 3, 31))),
        # Christmas Thu 25 Dec 2025 (cuti bersama Fri 26 Dec), New Year Thu 1 Jan 2026.
        (D(2025, 12, 19), RULES, (D(2025, 12, 23), D(2025, 12, 26), D(2025, 12, 30),
                                  D(2025, 12, 31))),
        (D(2025, 12, 19), CUTI, (D(2025, 12, 23), D(2025, 12, 29), D(2025, 12, 31),
                                 D(2026, 1, 2))),
        (D(2025, 12, 23), RULES, (D(2025, 12, 26), D(2025, 12, 30), D(2026, 1, 2), D(2026, 1, 5))),
        (D(2025, 12, 23), CUTI, (D(2025, 12, 29), D(2025, 12, 31), D(2026, 1, 5), D(2026, 1, 6))),
        # Hired on the New Year's Eve week: the deadline lands after the holiday.
        (D(2025, 12, 30), RULES, (D(2026, 1, 2), D(2026, 1, 6), D(2026, 1, 8), D(2026, 1, 9))),
        # Idul Adha Fri 6 Jun 2025, a holiday touching the weekend (cuti bersama Mon 9 Jun).
        (D(2025, 5, 30), RULES, (D(2025, 6, 3), D(2025, 6, 5), D(2025, 6, 10), D(2025, 6, 11))),
        (D(2025, 5, 30), CUTI, (D(2025, 6, 3), D(2025, 6, 5), D(2025, 6, 11), D(2025, 6, 12))),
    ],
)  # fmt: skip
def test_schedule(hired: date, rules: RuleSettings, days: tuple[date, ...]) -> None:
    schedule = reminder_schedule(hired, rules)
    assert tuple(r.day for r in schedule) == days
    assert tuple(r.offset for r in schedule) == (5, 3, 1, 0)
    assert schedule[-1].day == placement_deadline(hired, rules)


def test_offsets_on_or_before_the_hire_date_are_dropped() -> None:
    short = replace(RULES, placement_report_working_days=2)  # deadline Wed 18 Jun 2025
    assert reminder_schedule(D(2025, 6, 16), short) == (
        Reminder(D(2025, 6, 17), 1), Reminder(D(2025, 6, 18), 0),
    )  # fmt: skip
    none = replace(RULES, placement_reminder_working_days=())
    assert reminder_schedule(D(2025, 6, 16), none) == ()


# Hired Wed 26 Mar 2025 (national holidays only): reminders 28 Mar (5), 3 Apr (3), 7 Apr (1),
# 8 Apr (0: the deadline).
@pytest.mark.parametrize(
    ("today", "due", "following"),
    [
        (D(2025, 3, 26), None, D(2025, 3, 28)),  # the hire day
        (D(2025, 3, 27), None, D(2025, 3, 28)),
        (D(2025, 3, 28), Reminder(D(2025, 3, 28), 5), D(2025, 4, 3)),
        (D(2025, 3, 31), Reminder(D(2025, 3, 28), 5), D(2025, 4, 3)),  # Idul Fitri: no new one
        (D(2025, 4, 3), Reminder(D(2025, 4, 3), 3), D(2025, 4, 7)),
        (D(2025, 4, 5), Reminder(D(2025, 4, 3), 3), D(2025, 4, 7)),  # the weekend
        (D(2025, 4, 7), Reminder(D(2025, 4, 7), 1), D(2025, 4, 8)),
        (D(2025, 4, 8), Reminder(D(2025, 4, 8), 0), None),  # the deadline day
        (D(2025, 4, 9), None, None),  # past the deadline: nothing any more
    ],
)  # fmt: skip
def test_due_and_next(today: date, due: Reminder | None, following: date | None) -> None:
    hired = D(2025, 3, 26)
    assert due_reminder(hired, today, RULES) == due
    assert next_reminder_day(hired, today, RULES) == following


def test_a_sweep_that_missed_days_sends_only_the_newest() -> None:
    # Down from 27 Mar to 7 Apr: the 5- and 3-day reminders were missed; only the 1-day one.
    assert due_reminder(D(2025, 3, 26), D(2025, 4, 7), RULES) == Reminder(D(2025, 4, 7), 1)


@pytest.mark.parametrize(
    ("hour", "minute", "daytime"),
    [(0, 0, False), (7, 59, False), (8, 0, True), (12, 30, True), (19, 59, True), (20, 0, False),
     (23, 0, False)],
)  # fmt: skip
def test_daytime(hour: int, minute: int, daytime: bool) -> None:
    for zone in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"):
        assert in_daytime(datetime(2025, 6, 2, hour, minute, tzinfo=ZoneInfo(zone))) is daytime


def test_the_key_names_person_deadline_and_offset() -> None:
    assert reminder_key(7, D(2025, 4, 8), 3) == "placement-remind:7:2025-04-08:3"
