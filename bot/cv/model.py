"""What the CV dialog asks (pure): make the person's CV now, get where it is kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from bot.core.types import Query

CV_MIME = "application/pdf"


@dataclass(frozen=True)
class CvFile:
    """A CV made just now: ``ref`` names it in the file store (``store:<ref>`` in an
    attachment), ``name`` is the file name the person sees."""

    ref: str
    name: str
    pages: int = 1


@dataclass(frozen=True)
class CvQuery(Query[CvFile | None]):
    """Make the person's CV from their profile as it is now (None: no name in the profile
    yet). Answering it writes one file to the file store (never the database); the channel
    that delivers it deletes it, and HAPUS or the daily sweep removes a leftover."""

    slow: ClassVar[bool] = True  # a photo download and a PDF: outside the turn's transaction


class StoredFiles(Protocol):
    """What a channel needs to deliver a ``store:`` attachment (bot/evidence/files.py
    EvidenceStore): read it, then delete it once delivered."""

    async def read(self, ref: str) -> bytes: ...

    async def delete(self, ref: str) -> bool: ...
