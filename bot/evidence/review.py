"""Reviewing evidence: the queue, one piece with its photos, accept, reject with a reason.

Operators use it through ``jkp-bot evidence review`` (bot/cli.py); counselors will call the
same methods from their chat. A decision is one short write transaction (the piece's status,
the person's version bumped, the benefit month counted again); then the person is told
through the engine's door for system events, so the message goes through the outbox with
an idempotency key: a rejection with its reason (sent even to a person who said STOP: it is
about their own upload and their benefit), an acceptance unless asked not to.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.engine import clean_text
from bot.core.types import SystemEvent
from bot.dialogs.evidence import ACCEPTED, REJECTED
from bot.evidence.files import EvidenceStore
from bot.records.evidence import (
    EvidenceDetail,
    QueueEntry,
    evidence_detail,
    review_queue,
    set_review,
)
from bot.records.progress import refresh_progress
from bot.rules.ledger import Review

if TYPE_CHECKING:
    from bot.app import App

MAX_REASON = 300  # characters: a reason fits a phone screen


class ReviewError(ValueError):
    """A decision that cannot be made as asked (no such piece, no reason)."""


@dataclass(frozen=True)
class Decision:
    evidence_id: int
    person_id: int
    status: Review
    changed: bool  # False: it was already decided this way
    notified: int  # messages queued for the person


@dataclass
class EvidenceReview:
    app: App

    @property
    def files(self) -> EvidenceStore:
        return self.app.files

    async def pending(self, limit: int = 50) -> list[QueueEntry]:
        """Pieces waiting for review, oldest first."""
        async with self.app.db.read() as conn:
            return await review_queue(conn, limit)

    async def show(self, evidence_id: int) -> EvidenceDetail:
        async with self.app.db.read() as conn:
            detail = await evidence_detail(conn, evidence_id)
        if detail is None:
            raise ReviewError(f"no evidence #{evidence_id}")
        return detail

    async def export(self, detail: EvidenceDetail, directory: Path) -> list[Path]:
        """Write the piece's photos, decrypted, into ``directory`` (created private) so a
        reviewer can look at them; delete them afterwards."""
        await asyncio.to_thread(directory.mkdir, mode=0o700, parents=True, exist_ok=True)
        written = []
        for n, info in enumerate(detail.files, 1):
            data = await self.files.read(info.ref)
            suffix = ".png" if info.mime == "image/png" else ".jpg"
            path = directory / f"evidence-{detail.id}-{n}{suffix}"
            await asyncio.to_thread(_write_private, path, data)
            written.append(path)
        return written

    async def accept(self, evidence_id: int, reviewer: str, *, notify: bool = True) -> Decision:
        return await self._decide(evidence_id, Review.ACCEPTED, "", reviewer, notify=notify)

    async def reject(self, evidence_id: int, reason: str, reviewer: str) -> Decision:
        reason = " ".join(clean_text(reason).split()).rstrip(" .")  # the message adds a "."
        if not reason:
            raise ReviewError("a rejection needs a reason the person can act on")
        if len(reason) > MAX_REASON:
            raise ReviewError(f"the reason is longer than {MAX_REASON} characters")
        return await self._decide(evidence_id, Review.REJECTED, reason, reviewer, notify=True)

    async def _decide(
        self, evidence_id: int, status: Review, reason: str, reviewer: str, *, notify: bool
    ) -> Decision:
        app = self.app
        now = app.engine.clock()
        async with app.db.write() as conn:
            changed = await set_review(conn, evidence_id, status, reason, reviewer, now)
            if changed is not None:
                person_id, day = changed
                await refresh_progress(conn, person_id, now, app.settings.rules, days=(day,))
        if changed is None:
            detail = await self.show(evidence_id)  # raises when there is no such piece
            return Decision(evidence_id, detail.person_id, status, False, 0)
        notified = 0
        if notify:
            kind = REJECTED if status is Review.REJECTED else ACCEPTED
            event = SystemEvent(
                person_id, kind, {"evidence_id": evidence_id},
                key=f"evidence:{evidence_id}:{status.value}:{now:%Y%m%dT%H%M%S%f}",
                essential=status is Review.REJECTED,
            )  # fmt: skip
            notified = await app.engine.handle_system(event)
        return Decision(evidence_id, person_id, status, True, notified)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
