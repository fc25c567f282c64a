"""Evidence of the monthly job search as dialogs see it (pure): the records, the queries that
read them and the effects that change them (bot/records/evidence.py applies them).

A piece of evidence is put together in a conversation: its kind, the company, the date of
the act, then one or more photos. Each photo is stored by the channel before the turn
(bot/evidence/intake.py) and *staged* by :class:`StageUpload` (a file row without a piece),
so nothing on disk is ever unaccounted for; :class:`RecordEvidence` makes the piece and
attaches the staged photos; :class:`DiscardUploads` drops photos of a piece given up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.types import Effect, Query, Upload
from bot.rules.ledger import Evidence, EvidenceKind, Review


@dataclass(frozen=True)
class EvidenceItem:
    """One recorded piece of evidence, as its owner may see it (the near-duplicate flag is
    for reviewers only)."""

    id: int
    kind: EvidenceKind
    company: str
    day: date  # the date of the application or of the invitation
    status: Review
    reason: str  # why it was rejected ("" otherwise)
    files: int
    created_at: datetime

    def for_ledger(self) -> Evidence:
        return Evidence(self.kind, self.company, self.day, self.status)


# -- queries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvidenceQuery(Query[tuple[EvidenceItem, ...]]):
    """The person's recorded evidence, the latest act first."""


@dataclass(frozen=True)
class UploadSeenQuery(Query[bool]):
    """Whether the person already sent this very photo (same sha256) for a piece that was
    not rejected, or for the one in progress."""

    sha256: str


# -- effects -------------------------------------------------------------------------------
@dataclass(frozen=True)
class StageUpload(Effect):
    """Keep a stored photo for the piece in progress (checked for near-duplicates of other
    persons' photos)."""

    upload: Upload


@dataclass(frozen=True)
class DiscardUploads(Effect):
    """The piece in progress was given up: forget its staged photos and delete their files."""

    refs: tuple[str, ...]


@dataclass(frozen=True)
class RecordEvidence(Effect):
    """Record the piece with the staged photos ``refs``; the benefit month it falls in is
    counted again."""

    kind: EvidenceKind
    company: str
    day: date
    refs: tuple[str, ...]
