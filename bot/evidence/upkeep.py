"""Housekeeping of the evidence files: orphans after the daily purge, a new key after rotation."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.evidence.files import EvidenceStore
from bot.records.evidence import all_refs
from bot.storage.db import Database

log = logging.getLogger(__name__)


async def sweep_files(db: Database, files: EvidenceStore, now: datetime) -> int:
    """Delete stored photos no row refers to (an upload whose turn never recorded it, a
    deletion interrupted between the commit and the files) and leftover downloads, all
    older than the grace period; returns how many photos were deleted."""
    async with db.read() as conn:
        keep = await all_refs(conn)
    deleted = await files.sweep_orphans(keep, now)
    if deleted:
        log.info("evidence: deleted %d orphaned photo file(s)", deleted)
    return deleted
