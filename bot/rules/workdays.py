"""Working days in Indonesia, and the placement-report deadline (Pedoman 3.7).

"Paling lama 7 (tujuh) hari kerja sejak diterima bekerja" (Pedoman 3.7, last paragraph; the
same 7 working days in FACTS.md §1 for reporting a new job). No JKP regulation defines "hari
kerja" (FACTS.md §2), so this module writes its reading down:

- A working day is Monday to Friday (Perpres 21/2023 Pasal 3, government offices, where the
  report is received) that is not an Indonesian national holiday. National holidays come from
  the ``holidays`` package (country ``ID``, language ``id``, category ``public``).
- Cuti bersama (collective leave set by the SKB 3 Menteri, category ``government`` in the
  package) is optional for private employers and comes out of annual leave (SE Menaker
  M/3/HK.04/IV/2022), so whether it stops the clock is a setting,
  ``RuleSettings.cuti_bersama_non_working``. The default (False: cuti bersama are working days)
  gives the earlier deadline, the safer one to remind people of. The package has cuti bersama
  data for 2002-2027 only; later years count as if there were none (again the earlier date).
- "Sejak diterima bekerja": the day of hiring is not itself counted; day 1 is the first
  working day after it (whether or not the hire day is a working day), and the deadline is the
  7th such day, reported on that day at the latest. This reproduces the worked example of
  FACTS.md §2: hired on Wed 26 Mar 2025, the deadline is Tue 8 Apr 2025 when only national
  holidays are skipped (Nyepi, Idul Fitri 31 Mar-1 Apr), and Tue 15 Apr 2025 when the cuti
  bersama of 28 Mar and 2-7 Apr are skipped too.

Holiday sets are computed once per (year, setting) and cached: the package builds a year in
milliseconds, and a sweep asks about thousands of dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import holidays

from bot.rules.config import RuleSettings

COUNTRY = "ID"
LANGUAGE = "id"
SATURDAY = 5  # date.weekday(): Monday is 0


@lru_cache(maxsize=256)
def _holiday_names(year: int, cuti_bersama: bool) -> dict[date, str]:
    categories: tuple[str, ...] = ("public", "government") if cuti_bersama else ("public",)
    found: Any = holidays.country_holidays(
        COUNTRY, years=year, language=LANGUAGE, categories=categories
    )
    return {day: str(name) for day, name in found.items()}


def holidays_in(year: int, *, cuti_bersama: bool = False) -> frozenset[date]:
    """The national holidays of ``year`` (and its cuti bersama when asked), weekends aside."""
    return frozenset(_holiday_names(year, cuti_bersama))


def holiday_name(day: date, *, cuti_bersama: bool = False) -> str | None:
    """The Indonesian name of the holiday on ``day`` ("Hari Raya Idul Fitri"), or None."""
    return _holiday_names(day.year, cuti_bersama).get(day)


def is_working_day(day: date, *, cuti_bersama: bool = False) -> bool:
    """Monday-Friday and not a national holiday (nor cuti bersama when that setting is on)."""
    return day.weekday() < SATURDAY and day not in _holiday_names(day.year, cuti_bersama)


def add_working_days(start: date, n: int, *, cuti_bersama: bool = False) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself never counts); for a
    negative ``n``, the ``|n|``-th working day before it; ``n == 0`` gives ``start``."""
    step = timedelta(days=1 if n > 0 else -1)
    day, left = start, abs(n)
    while left:
        day += step
        if is_working_day(day, cuti_bersama=cuti_bersama):
            left -= 1
    return day


def working_days_between(first: date, end: date, *, cuti_bersama: bool = False) -> int:
    """How many working days lie in ``[first, end)`` (0 when ``end <= first``)."""
    count, day = 0, first
    while day < end:
        count += is_working_day(day, cuti_bersama=cuti_bersama)
        day += timedelta(days=1)
    return count


def placement_deadline(hire_date: date, rules: RuleSettings) -> date:
    """Last day to report the new job: 7 working days after the hire date (Pedoman 3.7)."""
    return add_working_days(
        hire_date, rules.placement_report_working_days, cuti_bersama=rules.cuti_bersama_non_working
    )


def reminder_dates(
    hire_date: date, rules: RuleSettings, before: Iterable[int] | None = None
) -> tuple[date, ...]:
    """The days to remind someone who was hired but has not reported yet, in order: each of
    ``before`` (working days before the deadline; default
    ``rules.placement_reminder_working_days``, where 0 is the deadline day itself), keeping
    only days after the hire date. Days repeat only once."""
    offsets = rules.placement_reminder_working_days if before is None else tuple(before)
    cuti = rules.cuti_bersama_non_working
    deadline = placement_deadline(hire_date, rules)
    days = {add_working_days(deadline, -k, cuti_bersama=cuti) for k in offsets if k >= 0}
    return tuple(sorted(d for d in days if d > hire_date))
