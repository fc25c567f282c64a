"""Records as dialogs see them (pure): what a person chose to keep, the queries that read it
and the effects that change it.

A dialog reads a record with ``ctx.ask(RegistrationQuery())`` and changes it by returning an
effect such as ``SaveRegistration(...)`` in its :class:`~bot.core.types.Turn`; the engine
applies the effect in the same transaction as the conversation state. Within one turn the
answers do not reflect the turn's own effects: a dialog that saves and then shows the saved
record renders it from what it is saving.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.core.types import Effect, Query

# -- records -------------------------------------------------------------------------------
Entry = Mapping[str, Any]


@dataclass(frozen=True)
class ProfileRecord:
    """The resume: section id → its entries (a single section such as "personal" has one).
    An optional section answered "Tidak ada" (training, certification, achievement,
    language) holds the one entry ``{"pf_none": True}`` until a real entry replaces it."""

    sections: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict)

    def single(self, section: str) -> Entry | None:
        entries = self.sections.get(section) or ()
        return entries[0] if entries else None

    def as_data(self) -> dict[str, Any]:
        """The shape the profile dialog works on: single sections as a dict, repeating ones
        as a list of dicts."""
        from_single = {"photo", "personal"}
        return {
            name: (dict(entries[0]) if name in from_single else [dict(e) for e in entries])
            for name, entries in self.sections.items()
            if entries
        }


@dataclass(frozen=True)
class GroupScore:
    code: str  # ISCO-08 sub-major group (2 digits)
    percent: int


@dataclass(frozen=True)
class AssessmentRecord:
    """One finished self-assessment (Pedoman 3.4)."""

    taken_at: str  # ISO timestamp in the person's zone
    previous: tuple[str, ...]
    desired: tuple[str, ...]
    scores: Mapping[str, float]
    groups: tuple[GroupScore, ...]

    def to_data(self) -> dict[str, Any]:
        return {
            "at": self.taken_at,
            "previous": list(self.previous),
            "desired": list(self.desired),
            "scores": dict(self.scores),
            "groups": [{"code": g.code, "percent": g.percent} for g in self.groups],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> AssessmentRecord:
        return cls(
            taken_at=str(data.get("at") or ""),
            previous=tuple(data.get("previous") or ()),
            desired=tuple(data.get("desired") or ()),
            scores=dict(data.get("scores") or {}),
            groups=tuple(
                GroupScore(str(g["code"]), int(g["percent"])) for g in data.get("groups") or ()
            ),
        )


@dataclass(frozen=True)
class RegistrationRecord:
    """The job-seeker registration (Pedoman 3.5 steps 1–5)."""

    job: str  # an occupation title of bot/data/occupations.yml
    status: str  # "ter_phk"
    condition: str  # UU 8/2016 kinds, or "none" / "undisclosed"
    province: str | None = None  # Kemendagri code (2 digits)
    regency: str | None = None  # Kemendagri code (4 digits)
    country: str | None = None  # ISO 3166 alpha-2, when abroad
    saved_at: str = ""

    def to_data(self) -> dict[str, Any]:
        data = {"job": self.job, "status": self.status, "condition": self.condition}
        for name in ("province", "regency", "country"):
            if value := getattr(self, name):
                data[name] = value
        if self.saved_at:
            data["saved_at"] = self.saved_at
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RegistrationRecord:
        return cls(
            job=str(data.get("job") or ""),
            status=str(data.get("status") or "ter_phk"),
            condition=str(data.get("condition") or "undisclosed"),
            province=data.get("province"),
            regency=data.get("regency"),
            country=data.get("country"),
            saved_at=str(data.get("saved_at") or ""),
        )


@dataclass(frozen=True)
class EligibilityRecord:
    """The last finished eligibility check: the verdict and the answers on its path."""

    verdict: str
    answers: Mapping[str, Any]
    claim_deadline: date | None
    checked_at: datetime


# -- queries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProfileQuery(Query[ProfileRecord]):
    """The person's resume."""


@dataclass(frozen=True)
class AssessmentsQuery(Query[tuple[AssessmentRecord, ...]]):
    """Every finished self-assessment, oldest first."""


@dataclass(frozen=True)
class RegistrationQuery(Query[RegistrationRecord | None]):
    """The job-seeker registration, if saved."""


@dataclass(frozen=True)
class EligibilityQuery(Query[EligibilityRecord | None]):
    """The last finished eligibility check, if kept."""


# -- effects -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SaveProfileSection(Effect):
    """Replace one resume section with these entries (none: the section is emptied)."""

    section: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class SaveAssessment(Effect):
    result: AssessmentRecord


@dataclass(frozen=True)
class SaveRegistration(Effect):
    registration: RegistrationRecord


@dataclass(frozen=True)
class SaveEligibility(Effect):
    verdict: str
    answers: Mapping[str, Any]
    claim_deadline: date | None


@dataclass(frozen=True)
class SetBenefitStart(Effect):
    """The first day of the benefit (given or confirmed by the person); None forgets it."""

    start: date | None


# -- applications ---------------------------------------------------------------------------
APPLICATION_STATUSES = ("sent", "seen", "invited", "rejected", "accepted")


@dataclass(frozen=True)
class ApplicationRecord:
    """An application made through the assistant, as the portfolio shows it."""

    id: int
    source: str
    source_id: str
    title: str
    company: str
    city: str
    applied_at: datetime
    applied_on: date
    status: str  # one of APPLICATION_STATUSES
    status_at: datetime
    via: str = "catalogue"  # catalogue | counselor


@dataclass(frozen=True)
class ApplicationsQuery(Query[tuple[ApplicationRecord, ...]]):
    """The person's applications, newest first (``since``: applied on or after that day)."""

    since: date | None = None


@dataclass(frozen=True)
class RecordApplication(Effect):
    """Apply ("Lamar sekarang"): one application per vacancy; a second one changes nothing.
    ``cv`` is the snapshot of the CV sent with it."""

    source: str
    source_id: str
    title: str
    company: str
    city: str = ""
    vacancy_id: int | None = None
    via: str = "catalogue"
    cv: Mapping[str, Any] = field(default_factory=dict)
    on: date | None = None  # the person's local date (``ctx.today``); places it in a month
