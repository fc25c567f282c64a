"""Office hours and appointment slots (pure): when counselors answer, and when a session can
be booked. Working days are those of bot/rules/workdays.py (Monday to Friday without
national holidays; cuti bersama too when ``CUTI_BERSAMA_NON_WORKING=1``)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.rules.parsing import format_date
from bot.rules.workdays import is_working_day


@dataclass(frozen=True)
class OfficeHours:
    opens: time = time(8, 0)
    closes: time = time(16, 0)
    zone: str = "Asia/Jakarta"
    cuti_bersama: bool = False

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def _working(self, local: datetime) -> bool:
        return is_working_day(local.date(), cuti_bersama=self.cuti_bersama)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz)
        return self._working(local) and self.opens <= local.time() < self.closes

    def next_open(self, moment: datetime) -> datetime:
        """``moment`` itself when the office is open, else when it opens next."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(self.tz)
        day = local.date()
        if local.time() >= self.opens:
            day += timedelta(days=1)
        for _ in range(60):  # the longest run of holidays is far shorter
            if is_working_day(day, cuti_bersama=self.cuti_bersama):
                return datetime.combine(day, self.opens, self.tz)
            day += timedelta(days=1)
        raise ValueError("no working day in 60 days")

    def slots(
        self,
        after: datetime,
        length: timedelta,
        count: int,
        taken: Collection[datetime] = (),
    ) -> list[datetime]:
        """The next ``count`` appointment starts after ``after`` (at least an hour ahead, on
        the hour grid from opening), within office hours, that are not ``taken``."""
        busy = {t.astimezone(self.tz) for t in taken}
        out: list[datetime] = []
        earliest = after.astimezone(self.tz) + timedelta(hours=1)
        day = earliest.date()
        for _ in range(60):
            if is_working_day(day, cuti_bersama=self.cuti_bersama):
                start = datetime.combine(day, self.opens, self.tz)
                end = datetime.combine(day, self.closes, self.tz)
                while start + length <= end:
                    if start >= earliest and start not in busy:
                        out.append(start)
                        if len(out) >= count:
                            return out
                    start += length
            day += timedelta(days=1)
        return out


DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
              "Asia/Jayapura": "WIT"}  # fmt: skip


def zone_name(moment: datetime) -> str:
    """WIB, WITA or WIT for Indonesian zones; the zone's own abbreviation elsewhere."""
    tz = moment.tzinfo
    key = getattr(tz, "key", "")
    return ZONE_NAMES.get(key) or moment.strftime("%Z") or "UTC"


def format_when(moment: datetime, zone: tzinfo | None = None) -> str:
    """ "Senin, 2 Juni 2025 pukul 10.00 WIB": in ``zone`` (the person's), else as given."""
    local = moment.astimezone(zone) if zone is not None else moment
    return f"{DAY_NAMES[local.weekday()]}, {format_date(local.date())} pukul {local:%H.%M} " + (
        zone_name(local)
    )
