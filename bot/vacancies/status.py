"""Application statuses for operators: ``jkp-bot applications status SOURCE:SOURCE_ID PERSON
STATUS`` and ``jkp-bot applications import-status FILE.csv`` (columns ``source, source_id,
person, status``).

PERSON is the person's number, as ``jkp-bot evidence review`` and ``jkp-bot audit`` show it.
STATUS is one of sent, seen, invited, rejected, accepted, or its Indonesian word (terkirim,
dilihat, diundang, ditolak, diterima).

A change is one short write transaction (the status, the person's version bumped); then the
person is told through the engine's door for system events (the outbox), with an
idempotency key made of the application, the status and the moment it was set: the same
change imported twice is told once, and a change whose message was not queued (a crash in
between) is told when it is imported again. An invitation is told even to a person who said
STOP (a test or an interview may be missed otherwise); the other changes respect STOP.
"""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.core.types import SystemEvent
from bot.dialogs.portfolio import STATUS_CHANGED
from bot.records.applications import set_status
from bot.records.model import APPLICATION_STATUSES
from bot.storage.models import Application, table

if TYPE_CHECKING:
    from bot.app import App

A = table(Application)
WORDS = {
    "terkirim": "sent", "dikirim": "sent", "dilihat": "seen", "diundang": "invited",
    "undangan": "invited", "ditolak": "rejected", "diterima": "accepted",
}  # fmt: skip
ESSENTIAL = frozenset({"invited"})  # told even after STOP
COLUMNS = ("source", "source_id", "person", "status")
MAX_ROWS = 100_000


class StatusError(ValueError):
    """A change that cannot be made as asked (no such application, an unknown status)."""


@dataclass(frozen=True)
class StatusChange:
    application_id: int
    person_id: int
    status: str
    changed: bool  # False: it already had this status
    notified: int  # messages queued for the person


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass(frozen=True)
class ImportReport:
    changes: tuple[StatusChange, ...]
    errors: tuple[RowError, ...]

    @property
    def changed(self) -> int:
        return sum(c.changed for c in self.changes)

    @property
    def notified(self) -> int:
        return sum(bool(c.notified) for c in self.changes)


def parse_status(raw: str) -> str:
    word = raw.strip().lower()
    status = WORDS.get(word, word)
    if status not in APPLICATION_STATUSES:
        raise StatusError(
            f"unknown status {raw!r}; one of {', '.join(APPLICATION_STATUSES)} "
            f"(or {', '.join(sorted(WORDS))})"
        )
    return status


def parse_person(raw: str) -> int:
    text = raw.strip().removeprefix("#")
    if not text.isdigit() or int(text) <= 0:
        raise StatusError(f"PERSON must be a person's number, got {raw!r}")
    return int(text)


def parse_vacancy(raw: str) -> tuple[str, str]:
    source, sep, source_id = raw.strip().partition(":")
    if not sep or not source.strip() or not source_id.strip():
        raise StatusError(f"the vacancy must be SOURCE:SOURCE_ID, got {raw!r}")
    return source.strip(), source_id.strip()


@dataclass
class ApplicationStatuses:
    app: App

    async def change(
        self, source: str, source_id: str, person_id: int, status: str
    ) -> StatusChange:
        """Set the status of the person's application to that vacancy, and tell them."""
        status = parse_status(status)
        now = self.app.engine.clock()
        async with self.app.db.write() as conn:
            row = (
                await conn.execute(
                    select(A.c.id, A.c.status, A.c.status_at, A.c.applied_at).where(
                        A.c.person_id == person_id, A.c.source == source,
                        A.c.source_id == source_id,
                    )
                )
            ).first()  # fmt: skip
            if row is None:
                raise StatusError(f"person {person_id} has no application to {source}:{source_id}")
            changed = await set_status(conn, row.id, status, now) is not None
            # the moment as stored (read back: the key must be the same on every import)
            set_at: datetime = (
                await conn.execute(select(A.c.status_at).where(A.c.id == row.id))
            ).scalar_one()
        if not changed and status == "sent" and row.status_at == row.applied_at:
            return StatusChange(row.id, person_id, status, False, 0)  # never changed: no news
        event = SystemEvent(
            person_id, STATUS_CHANGED, {"application_id": row.id, "status": status},
            key=f"application:{row.id}:{status}:{set_at:%Y%m%dT%H%M%S%f}",
            essential=status in ESSENTIAL,
        )  # fmt: skip
        notified = await self.app.engine.handle_system(event)
        return StatusChange(row.id, person_id, status, changed, notified)

    async def import_csv(self, text: str) -> ImportReport:
        """Every good row is applied; a bad one is reported with its line number."""
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            return ImportReport((), (RowError(1, f"missing column(s): {', '.join(missing)}"),))
        reader.fieldnames = header
        changes: list[StatusChange] = []
        errors: list[RowError] = []
        for number, row in enumerate(reader):
            line = reader.line_num  # the row's (last) line in the file; the header is line 1
            if number >= MAX_ROWS:
                errors.append(RowError(line, f"more than {MAX_ROWS} rows: the rest skipped"))
                break
            if None in row or any(row.get(c) is None for c in COLUMNS):
                errors.append(RowError(line, "wrong number of fields"))
                continue
            try:
                person = parse_person(row["person"])
                source, source_id = row["source"].strip(), row["source_id"].strip()
                if not source or not source_id:
                    raise StatusError("source and source_id are required")
                changes.append(await self.change(source, source_id, person, row["status"]))
            except StatusError as e:
                errors.append(RowError(line, str(e)))
        return ImportReport(tuple(changes), tuple(errors))

    async def import_file(self, path: Path) -> ImportReport:
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise StatusError(f"cannot read {path}: {e}") from None
        return await self.import_csv(text)
