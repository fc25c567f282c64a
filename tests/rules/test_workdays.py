"""Working days and the placement-report deadline (Pedoman 3.7; FACTS.md §2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.rules.config import RuleSettings
from bot.rules.workdays import (
    add_working_days,
    holiday_name,
    holidays_in,
    is_working_day,
    placement_deadline,
    reminder_dates,
    working_days_between,
)

RULES = RuleSettings()
WITH_CUTI = replace(RULES, cuti_bersama_non_working=True)


def test_the_worked_example_of_facts() -> None:
    """FACTS.md §2: hired Wed 26 Mar 2025 -> 8 Apr (national holidays only), 15 Apr (cuti
    bersama too). The hire day is not counted."""
    hired = date(2025, 3, 26)
    assert placement_deadline(hired, RULES) == date(2025, 4, 8)
    assert placement_deadline(hired, WITH_CUTI) == date(2025, 4, 15)


@pytest.mark.parametrize(
    ("day", "cuti", "working"),
    [
        (date(2025, 3, 27), False, True),  # Thursday, nothing
        (date(2025, 3, 28), False, True),  # cuti bersama Nyepi: a working day by default
        (date(2025, 3, 28), True, False),
        (date(2025, 3, 29), False, False),  # Nyepi on a Saturday
        (date(2025, 3, 31), False, False),  # Idul Fitri
        (date(2025, 4, 1), False, False),  # Idul Fitri, second day
        (date(2025, 4, 2), False, True),  # cuti bersama Idul Fitri
        (date(2025, 4, 2), True, False),
        (date(2025, 12, 25), False, False),  # Natal
        (date(2025, 12, 26), False, True),  # cuti bersama Natal
        (date(2025, 12, 26), True, False),
        (date(2026, 1, 1), False, False),  # Tahun Baru
        (date(2026, 1, 2), False, True),
        (date(2025, 8, 17), False, False),  # Independence Day, a Sunday
        (date(2025, 8, 18), False, True),  # cuti bersama for it (the package, not the SKB)
        (date(2025, 8, 18), True, False),
        (date(2025, 6, 7), False, False),  # a plain Saturday
        (date(2025, 6, 8), False, False),  # a plain Sunday
        (date(2025, 6, 10), True, True),  # a plain Tuesday
    ],
)
def test_is_working_day(day: date, cuti: bool, working: bool) -> None:
    assert is_working_day(day, cuti_bersama=cuti) is working


@pytest.mark.parametrize(
    ("start", "n", "cuti", "expected"),
    [
        # Lebaran 2025: Idul Fitri Mon 31 Mar-Tue 1 Apr, cuti bersama 2-4 and 7 Apr.
        (date(2025, 3, 27), 1, False, date(2025, 3, 28)),
        (date(2025, 3, 27), 2, False, date(2025, 4, 2)),  # 29-30 weekend, 31/1 holidays
        (date(2025, 3, 27), 2, True, date(2025, 4, 9)),
        (date(2025, 3, 28), 1, True, date(2025, 4, 8)),  # start on a cuti bersama day
        # Christmas 2025 on a Thursday, cuti bersama Friday 26th, then the New Year.
        (date(2025, 12, 24), 1, False, date(2025, 12, 26)),
        (date(2025, 12, 24), 1, True, date(2025, 12, 29)),
        (date(2025, 12, 24), 5, False, date(2026, 1, 2)),  # 26, 29, 30, 31, (1 Jan), 2
        (date(2025, 12, 31), 1, False, date(2026, 1, 2)),  # across the year boundary
        # Holidays touching weekends: Independence Day 2025 on a Sunday; Nyepi on a Saturday.
        (date(2025, 8, 15), 1, False, date(2025, 8, 18)),
        (date(2025, 8, 15), 1, True, date(2025, 8, 19)),
        (date(2025, 3, 27), 1, True, date(2025, 4, 8)),  # Fri cuti, Sat Nyepi, Mon-Mon off
        # A start on a weekend: the next working day is day 1.
        (date(2025, 6, 14), 1, False, date(2025, 6, 16)),
        (date(2025, 6, 16), 0, False, date(2025, 6, 16)),
        # Backwards.
        (date(2025, 4, 8), -1, False, date(2025, 4, 7)),
        (date(2025, 4, 8), -1, True, date(2025, 3, 27)),
        (date(2026, 1, 2), -1, False, date(2025, 12, 31)),
    ],
)
def test_add_working_days(start: date, n: int, cuti: bool, expected: date) -> None:
    assert add_working_days(start, n, cuti_bersama=cuti) == expected


def test_a_weekend_start_skips_the_idul_adha_monday_only_as_cuti() -> None:
    # Sat 7 Jun 2025: Mon 9 Jun is cuti bersama Idul Adha, so day 1 is Mon or Tue.
    assert add_working_days(date(2025, 6, 7), 1, cuti_bersama=False) == date(2025, 6, 9)
    assert add_working_days(date(2025, 6, 7), 1, cuti_bersama=True) == date(2025, 6, 10)


def test_forward_and_backward_agree_over_two_years() -> None:
    day = date(2025, 1, 1)
    while day < date(2027, 1, 1):
        for cuti in (False, True):
            later = add_working_days(day, 7, cuti_bersama=cuti)
            assert working_days_between(day + timedelta(days=1), later + timedelta(days=1),
                                        cuti_bersama=cuti) == 7  # fmt: skip
            if is_working_day(day, cuti_bersama=cuti):
                assert add_working_days(later, -7, cuti_bersama=cuti) == day
        day += timedelta(days=1)


def test_holiday_sets_and_names() -> None:
    national = holidays_in(2025)
    both = holidays_in(2025, cuti_bersama=True)
    assert national < both
    assert date(2025, 4, 2) in both - national
    assert holiday_name(date(2025, 3, 31)) == "Hari Raya Idul Fitri"  # Indonesian names
    assert holiday_name(date(2025, 4, 2)) is None
    assert holiday_name(date(2025, 4, 2), cuti_bersama=True) == "Cuti Bersama Hari Raya Idul Fitri"


def test_working_days_between_is_half_open() -> None:
    assert working_days_between(date(2025, 6, 16), date(2025, 6, 16)) == 0
    assert working_days_between(date(2025, 6, 16), date(2025, 6, 17)) == 1
    assert working_days_between(date(2025, 6, 16), date(2025, 6, 23)) == 5
    assert working_days_between(date(2025, 6, 20), date(2025, 6, 1)) == 0
    # March 2025: 21 weekdays, minus nothing national on a weekday but 31 Mar Idul Fitri.
    assert working_days_between(date(2025, 3, 1), date(2025, 4, 1)) == 20
    assert working_days_between(date(2025, 3, 1), date(2025, 4, 1), cuti_bersama=True) == 19


@pytest.mark.parametrize(
    ("hired", "rules", "expected"),
    [
        (date(2025, 3, 26), RULES,
         (date(2025, 3, 28), date(2025, 4, 3), date(2025, 4, 7), date(2025, 4, 8))),
        (date(2025, 3, 26), WITH_CUTI,
         (date(2025, 4, 8), date(2025, 4, 10), date(2025, 4, 14), date(2025, 4, 15))),
        # Offsets at or past the hire date are dropped; repeats collapse.
        (date(2025, 6, 16), replace(RULES, placement_reminder_working_days=(9, 7, 6, 0, 0)),
         (date(2025, 6, 17), date(2025, 6, 25))),
    ],
)  # fmt: skip
def test_reminder_dates(hired: date, rules: RuleSettings, expected: tuple[date, ...]) -> None:
    dates = reminder_dates(hired, rules)
    assert dates == expected
    assert dates[-1] == placement_deadline(hired, rules)


def test_reminder_dates_with_explicit_offsets() -> None:
    assert reminder_dates(date(2025, 6, 16), RULES, before=(2,)) == (date(2025, 6, 23),)
    assert reminder_dates(date(2025, 6, 16), RULES, before=()) == ()


def test_the_deadline_is_a_setting() -> None:
    three = replace(RULES, placement_report_working_days=3)
    assert placement_deadline(date(2025, 6, 16), three) == date(2025, 6, 19)
