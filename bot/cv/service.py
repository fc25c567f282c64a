"""Answering :class:`~bot.cv.model.CvQuery`: read the profile, draw the PDF in a worker
thread, keep it encrypted in the file store (EVIDENCE_DIR) under a name fixed per person
(making it again replaces it), and say where it is. The channel that delivers it deletes it
(bot/channels/telegram.py, bot/channels/console.py); HAPUS deletes a CV not delivered yet,
and the daily sweep of files no row refers to (bot/evidence/upkeep.py) any other leftover.

The profile photo is a Telegram file: ``photos`` (set by the Telegram runtime) downloads it;
without it, or when the download fails, the CV has no photo.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.domain import Domain
from bot.core.services import Scope, Services
from bot.cv.model import CvFile, CvQuery
from bot.cv.render import cv_name, render_cv
from bot.records.store import load_profile, load_registration

log = logging.getLogger(__name__)

PhotoSource = Callable[[str], Awaitable[bytes | None]]  # a stored photo reference -> bytes


class CvFiles(Protocol):
    """Where the CV is kept until delivered (bot/evidence/files.py EvidenceStore)."""

    async def put_bytes(self, owner: str, name: str, data: bytes) -> str: ...

    def ref_for(self, owner: str, sha256: str) -> str: ...

    async def delete(self, ref: str) -> bool: ...


def owner_of(person_id: int) -> str:
    return f"cv:{person_id}"


CV_FILE_KEY = "cv.pdf"


def file_name(name: str) -> str:
    """ "CV Siti Rahmawati.pdf", with only safe characters."""
    safe = re.sub(r"[^\w .-]+", "", name, flags=re.UNICODE).strip(" .")[:60]
    return f"CV {safe}.pdf" if safe else "CV.pdf"


@dataclass
class CvService:
    files: CvFiles
    domain: Domain
    photos: PhotoSource | None = None  # the Telegram runtime sets it

    def register(self, services: Services) -> None:
        @services.on_query(CvQuery)
        async def _cv(conn: AsyncConnection, scope: Scope, _: CvQuery) -> CvFile | None:
            if scope.person_id is None:
                return None
            profile = await load_profile(conn, scope.person_id)
            name = cv_name(profile)
            if not name:
                return None
            registration = await load_registration(conn, scope.person_id)
            photo = await self._photo(profile.single("photo"))
            pdf = await asyncio.to_thread(
                render_cv, profile, registration, self.domain.choice_title, photo
            )
            ref = await self.files.put_bytes(owner_of(scope.person_id), CV_FILE_KEY, pdf)
            return CvFile(ref, file_name(name))

        @services.on_delete
        async def _forget(conn: AsyncConnection, scope: Scope, person_id: int) -> None:
            ref = self.files.ref_for(owner_of(person_id), CV_FILE_KEY)

            async def delete() -> None:
                await self.files.delete(ref)

            scope.after_commit.append(delete)

    async def _photo(self, entry: object) -> bytes | None:
        if self.photos is None or not isinstance(entry, Mapping) or not entry.get("pf_photo"):
            return None
        try:
            return await self.photos(str(entry["pf_photo"]))
        except Exception:
            log.warning("the profile photo could not be fetched for a CV; made without it")
            return None
