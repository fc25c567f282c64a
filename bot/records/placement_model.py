"""The placement report ("Lapor diterima kerja", Pedoman 3.7) as dialogs see it (pure): the
record, the query that reads it and the effects that change it (bot/records/placements.py
applies them).

A report is *started* when the person gives the date they were hired (the deadline is known
from then on, and reminders run until it is finished) and *reported* when they confirm it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.types import Effect, Query

STARTED, REPORTED = "started", "reported"
REMIND = "placement.remind"  # the system event of a deadline reminder


@dataclass(frozen=True)
class PlacementRecord:
    """One placement report as its owner may see it."""

    id: int
    status: str  # started | reported
    hired_on: date
    deadline: date
    company: str  # "" while started
    position: str
    photos: int  # 0 or 1: the offer letter or contract
    started_at: datetime
    reported_at: datetime | None


# -- queries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlacementsQuery(Query[tuple[PlacementRecord, ...]]):
    """The person's placement reports, the newest first (at most one is started)."""


# -- effects -------------------------------------------------------------------------------
@dataclass(frozen=True)
class StartPlacement(Effect):
    """The person was hired on ``hired_on``: keep the started report (one per person; a new
    date replaces the old one) and schedule its reminders from ``today`` (the person's
    day)."""

    hired_on: date
    deadline: date
    today: date


@dataclass(frozen=True)
class ReportPlacement(Effect):
    """Finish the started report: the company, the position and the staged photo (``ref``,
    "" without one); the reminders stop."""

    company: str
    position: str
    hired_on: date
    deadline: date
    ref: str = ""


@dataclass(frozen=True)
class DropPlacement(Effect):
    """BATAL before the report was finished: forget the started report (no more reminders)."""
