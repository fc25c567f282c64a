"""Counseling settings (issue 11), read from the environment by bot/settings.py."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta

from bot.counseling.hours import OfficeHours

_HOURS = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*-\s*(\d{1,2})[:.](\d{2})\s*$")


class CounselingSettingsError(ValueError):
    """A counseling setting that cannot be used (bot/settings.py turns it into a
    SettingsError naming it)."""


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise CounselingSettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise CounselingSettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def parse_hours(raw: str) -> tuple[time, time]:
    m = _HOURS.match(raw)
    if not m:
        raise CounselingSettingsError(
            f"COUNSELING_OFFICE_HOURS must look like 08:00-16:00, got {raw!r}"
        )
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise CounselingSettingsError(f"COUNSELING_OFFICE_HOURS: no such time in {raw!r}")
    opens, closes = time(h1, m1), (time(23, 59, 59) if h2 == 24 else time(h2, m2))
    if closes <= opens:
        raise CounselingSettingsError("COUNSELING_OFFICE_HOURS must close after it opens")
    return opens, closes


@dataclass(frozen=True)
class CounselingSettings:
    chat_id: int | None = None  # COUNSELOR_CHAT_ID: the counselors' forum supergroup
    opens: time = time(8, 0)
    closes: time = time(16, 0)
    takeover_wait_minutes: int = 10  # PETUGAS: after this, the person is told honestly
    slot_minutes: int = 60
    slots_offered: int = 6
    start_early_minutes: int = 10  # "Mulai konseling" works from this long before
    missed_after_minutes: int = 60  # ...until this long after the scheduled time

    @property
    def staffed(self) -> bool:
        """Counselors work from a group: requests and PETUGAS reach people."""
        return self.chat_id is not None

    def hours(self, zone: str, cuti_bersama: bool = False) -> OfficeHours:
        return OfficeHours(self.opens, self.closes, zone, cuti_bersama)

    @property
    def takeover_wait(self) -> timedelta:
        return timedelta(minutes=self.takeover_wait_minutes)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CounselingSettings:
        raw_chat = env.get("COUNSELOR_CHAT_ID", "").strip()
        chat_id: int | None = None
        if raw_chat:
            if not re.fullmatch(r"-100\d{5,}", raw_chat):
                raise CounselingSettingsError(
                    "COUNSELOR_CHAT_ID must be a supergroup id such as -1001234567890 (a group "
                    f"with topics), got {raw_chat!r}"
                )
            chat_id = int(raw_chat)
        opens, closes = parse_hours(env.get("COUNSELING_OFFICE_HOURS", "").strip() or "08:00-16:00")
        slot = _int(env, "COUNSELING_SLOT_MINUTES", 60, 15, 240)
        return cls(
            chat_id=chat_id,
            opens=opens,
            closes=closes,
            takeover_wait_minutes=_int(env, "COUNSELING_TAKEOVER_WAIT_MINUTES", 10, 1, 240),
            slot_minutes=slot,
            slots_offered=_int(env, "COUNSELING_SLOTS_OFFERED", 6, 1, 8),
            start_early_minutes=_int(env, "COUNSELING_START_EARLY_MINUTES", 10, 0, 120),
            missed_after_minutes=_int(env, "COUNSELING_MISSED_AFTER_MINUTES", 60, 5, 24 * 60),
        )
