"""Counseling as the dialogs and the desk see it (pure): records, queries, effects, and the
system events a counselor's action becomes.

A counselor's action on a person (take over, schedule, decline, a message, a
recommendation, the end of a session) is a :class:`~bot.core.types.SystemEvent` of one of
:data:`SYSTEM_KINDS` on that person's conversation: same lock, same transaction, same outbox
as the person's own messages. The desk (bot/counseling/desk.py) decides what it means from
the session as the turn reads it (``SessionQuery``), so two counselors pressing "Ambil alih"
at once cannot both take a session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.core.types import Attachment, Effect, OutboundMessage, Query

# -- statuses ------------------------------------------------------------------------------
WAITING, SCHEDULED, ACTIVE, DONE = "waiting", "scheduled", "active", "done"
DECLINED, CANCELLED, MISSED = "declined", "cancelled", "missed"
OPEN_STATUSES = (WAITING, SCHEDULED, ACTIVE)
SCHEDULED_KIND, URGENT_KIND = "scheduled", "urgent"

# -- system events (params in brackets) ----------------------------------------------------
TAKE = (
    "counseling.take"  # a counselor takes over an urgent request [session, counselor_id, counselor]
)
SCHEDULE = "counseling.schedule"  # approved with a slot [session, counselor_id, counselor, at]
DECLINE = "counseling.decline"  # [session, counselor_id, counselor, reason]
SAY = "counseling.say"  # a counselor wrote [session, counselor_id, counselor, words, file_*]
RECOMMEND = "counseling.recommend"  # [session, counselor_id, counselor, vacancy]
END = "counseling.end"  # [session, counselor_id, counselor]
REMIND = "counseling.remind"  # [session, stage]: 1 the day before, 2 an hour before, 3 now
WAIT = "counseling.wait"  # nobody took an urgent request in time [session]
SYSTEM_KINDS = frozenset({TAKE, SCHEDULE, DECLINE, SAY, RECOMMEND, END, REMIND, WAIT})
DAY_BEFORE, HOUR_BEFORE, AT_TIME = 1, 2, 3

# -- button payloads (within Telegram's 64 bytes) ------------------------------------------
PREFIX = "counsel"
START = "counsel:start"  # counsel:start:<session>
APPLY = "counsel:apply"  # counsel:apply:<session>:<vacancy>
END_BUTTON = "counsel:end"
STAY = "counsel:stay"


@dataclass(frozen=True)
class SessionView:
    """One request and what became of it, as the person may see it."""

    id: int
    kind: str
    status: str
    requested_at: datetime
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    counselor: str = ""  # the counselor's name
    counselor_id: int | None = None
    reason: str = ""
    decline_reason: str = ""

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class CounselingRecord:
    """Whether the person is a counselee, their sessions (newest first) and the counselors
    who opened their record (name, last time)."""

    registered: bool = False
    sessions: tuple[SessionView, ...] = ()
    viewers: tuple[tuple[str, datetime], ...] = ()

    @property
    def request(self) -> SessionView | None:
        """The open counseling request (Ajukan konseling), never a PETUGAS one."""
        return next((s for s in self.sessions if s.open and s.kind == SCHEDULED_KIND), None)

    @property
    def current(self) -> SessionView | None:
        """What Konseling shows and Batalkan cancels: the open counseling request, else an
        open PETUGAS request."""
        return self.request or next((s for s in self.sessions if s.open), None)

    @property
    def last_done(self) -> SessionView | None:
        return next((s for s in self.sessions if s.status == DONE), None)


@dataclass(frozen=True)
class VacancyCard:
    """A vacancy a counselor recommends, as the card shows it."""

    id: int
    source: str
    source_id: str
    title: str
    company: str
    place: str
    wage_min: int | None = None
    wage_max: int | None = None
    closes_at: date | None = None
    open: bool = True


# -- queries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CounselingQuery(Query[CounselingRecord]):
    """The person's counseling record."""


@dataclass(frozen=True)
class SessionQuery(Query[SessionView | None]):
    """One of the person's sessions (None when it is not theirs or does not exist)."""

    session_id: int


@dataclass(frozen=True)
class VacancyCardQuery(Query[VacancyCard | None]):
    vacancy_id: int


@dataclass(frozen=True)
class AppliedQuery(Query[bool]):
    """Whether the person already applied to this vacancy."""

    vacancy_id: int


# -- effects -------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegisterCounselee(Effect):
    """Daftar sebagai konseli (Pedoman 3.6 step 2)."""


@dataclass(frozen=True)
class RequestCounseling(Effect):
    """Ajukan konseling (scheduled), or PETUGAS (urgent, ``context``: where they were). The
    counselors' group gets the request as a card; an urgent request also queues a
    ``handoff_requests`` row (one open at a time)."""

    reason: str
    kind: str = SCHEDULED_KIND
    context: str = ""
    in_hours: bool = True


@dataclass(frozen=True)
class CancelRequest(Effect):
    session_id: int


@dataclass(frozen=True)
class ScheduleSession(Effect):
    session_id: int
    counselor_id: int
    at: datetime


@dataclass(frozen=True)
class DeclineRequest(Effect):
    session_id: int
    counselor_id: int
    reason: str


@dataclass(frozen=True)
class BeginSession(Effect):
    """The counselor has the conversation from now on (the takeover flag is set); the
    worksheet takes its snapshot of the profiles and the assessment."""

    session_id: int
    counselor_id: int | None = None  # None: the person started a scheduled session


@dataclass(frozen=True)
class EndSession(Effect):
    session_id: int
    by: str  # person | counselor
    counselor_id: int | None = None


@dataclass(frozen=True)
class MarkMissed(Effect):
    session_id: int


@dataclass(frozen=True)
class Forward(Effect):
    """What the person wrote in session, to the counselors' topic and the transcript."""

    session_id: int
    words: str = ""
    media: str = ""  # photo | document | ... ("" for text)
    attachment: str = ""  # the channel's reference (a Telegram file_id)
    channel: str = ""


@dataclass(frozen=True)
class Transcribe(Effect):
    """A line of the worksheet written by the counselor's side (message, recommendation,
    applied)."""

    session_id: int
    kind: str
    counselor_id: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToStaff(Effect):
    """A message to the counselors: in the person's topic (``general`` False) or in the
    group's General topic. Queued in the outbox (channel ``staff``) in the turn."""

    message: OutboundMessage
    general: bool = False


@dataclass(frozen=True)
class Audit(Effect):
    """A counselor opened or acted on the person's record (``jkp-bot audit``)."""

    counselor_id: int
    action: str
    session_id: int | None = None
    detail: str = ""


def file_attachment(media: str, ref: str, name: str = "") -> Attachment | None:
    """A channel file as an :class:`Attachment` (photos and documents only)."""
    if not ref or media not in ("photo", "document"):
        return None
    return Attachment(media, ref if ":" in ref else f"tg:{ref}", name)
