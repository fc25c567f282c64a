"""Placement reports in the database: answering :class:`PlacementsQuery`, applying the
placement effects in the turn's transaction, what the reminder sweep selects, and what the
monthly sweeps use to leave placed people out (:func:`placed_persons`).

The photo of the offer letter or contract is staged like an evidence photo
(:class:`~bot.records.evidence_model.StageUpload`: an ``evidence_files`` row of the person
without a piece) and named here by its ``ref``; HAPUS and the retention purge delete it with
the person's other files (bot/records/evidence.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.services import Scope, Services
from bot.records.placement_model import (
    REPORTED,
    STARTED,
    DropPlacement,
    PlacementRecord,
    PlacementsQuery,
    ReportPlacement,
    StartPlacement,
)
from bot.records.placement_table import Placement
from bot.rules.config import RuleSettings
from bot.rules.placement import next_reminder_day
from bot.storage.models import Person, table

PL, P = table(Placement), table(Person)


def _person(scope: Scope) -> int:
    if scope.person_id is None:
        raise LookupError("no person yet: a placement is written after first contact")
    return scope.person_id


def _record(row: Any) -> PlacementRecord:
    return PlacementRecord(
        id=row.id, status=row.status, hired_on=row.hired_on, deadline=row.deadline,
        company=row.company or "", position=row.position or "", photos=1 if row.file_ref else 0,
        started_at=row.started_at, reported_at=row.reported_at,
    )  # fmt: skip


async def load_placements(
    conn: AsyncConnection, person_id: int | None
) -> tuple[PlacementRecord, ...]:
    """The person's reports, the newest first."""
    if person_id is None:
        return ()
    rows = await conn.execute(
        select(PL).where(PL.c.person_id == person_id).order_by(PL.c.started_at.desc(),
                                                               PL.c.id.desc())
    )  # fmt: skip
    return tuple(_record(r) for r in rows)


async def _started_id(conn: AsyncConnection, person_id: int) -> int | None:
    found = await conn.scalar(
        select(PL.c.id).where(PL.c.person_id == person_id, PL.c.status == STARTED).limit(1)
    )
    return int(found) if found is not None else None


async def start_placement(
    conn: AsyncConnection, person_id: int, e: StartPlacement, now: datetime, rules: RuleSettings
) -> None:
    """Keep (or move) the started report and its first reminder day after ``e.today``."""
    values = {
        "hired_on": e.hired_on,
        "deadline": e.deadline,
        "next_remind_on": next_reminder_day(e.hired_on, e.today, rules),
    }
    started = await _started_id(conn, person_id)
    if started is not None:
        await conn.execute(update(PL).where(PL.c.id == started).values(**values))
        return
    await conn.execute(
        insert(PL).values(person_id=person_id, status=STARTED, started_at=now, **values)
    )


async def report_placement(
    conn: AsyncConnection, person_id: int, e: ReportPlacement, now: datetime
) -> None:
    """Finish the started report (or record one at once): no reminder is left."""
    values = {
        "status": REPORTED, "hired_on": e.hired_on, "deadline": e.deadline,
        "company": e.company, "position": e.position, "file_ref": e.ref or None,
        "reported_at": now, "next_remind_on": None,
    }  # fmt: skip
    started = await _started_id(conn, person_id)
    if started is not None:
        await conn.execute(update(PL).where(PL.c.id == started).values(**values))
        return
    await conn.execute(insert(PL).values(person_id=person_id, started_at=now, **values))


async def drop_placement(conn: AsyncConnection, person_id: int) -> None:
    await conn.execute(delete(PL).where(PL.c.person_id == person_id, PL.c.status == STARTED))


# -- the reminder sweep --------------------------------------------------------------------
@dataclass(frozen=True)
class DueReminder:
    """A started report whose next reminder day has come (in some zone)."""

    placement_id: int
    person_id: int
    hired_on: date
    deadline: date
    next_remind_on: date
    tz: str | None


async def due_reminders(
    conn: AsyncConnection, until: date, limit: int = 1000, after: DueReminder | None = None
) -> list[DueReminder]:
    """Started reports of consenting persons whose next reminder day is on or before
    ``until`` (the latest local date anywhere: the sweep checks each person's own day), in
    pages of ``limit`` after the row ``after``. One query on ``ix_placements_due``."""
    query = (
        select(PL.c.id, PL.c.person_id, PL.c.hired_on, PL.c.deadline, PL.c.next_remind_on,
               P.c.tz)
        .join(P, P.c.id == PL.c.person_id)
        .where(PL.c.status == STARTED, PL.c.next_remind_on.is_not(None),
               PL.c.next_remind_on <= until, P.c.consent == "granted")
        .order_by(PL.c.next_remind_on, PL.c.id)
        .limit(limit)
    )  # fmt: skip
    if after is not None:  # keyset paging: rows skipped for now (night there) never block
        query = query.where(
            tuple_(PL.c.next_remind_on, PL.c.id) > tuple_(after.next_remind_on, after.placement_id)
        )
    rows = await conn.execute(query)
    return [DueReminder(r.id, r.person_id, r.hired_on, r.deadline, r.next_remind_on, r.tz)
            for r in rows]  # fmt: skip


async def advance_reminder(
    conn: AsyncConnection, placement_id: int, was: date, next_day: date | None
) -> bool:
    """Move a report's next reminder day on, if nobody did meanwhile (another process, the
    person finishing or changing the hire date); returns whether it moved."""
    result = await conn.execute(
        update(PL)
        .where(PL.c.id == placement_id, PL.c.status == STARTED, PL.c.next_remind_on == was)
        .values(next_remind_on=next_day)
    )
    return bool(result.rowcount)


# -- for the monthly sweeps ------------------------------------------------------------------
def placed_persons() -> Select[Any]:
    """``SELECT person_id`` of everyone who finished a placement report: a subquery for the
    monthly sweeps, ``Person.id.not_in(placed_persons())`` (on ``ix_placements_placed``)."""
    return select(PL.c.person_id).where(PL.c.status == REPORTED)


async def placed_person_ids(conn: AsyncConnection) -> set[int]:
    """The same, as a set of ids."""
    return {int(r) for r in await conn.scalars(placed_persons())}


# -- services ------------------------------------------------------------------------------
def register(services: Services, rules: RuleSettings) -> None:
    """Answer the placement query and apply the placement effects; forget on deletion."""

    @services.on_query(PlacementsQuery)
    async def _placements(
        conn: AsyncConnection, scope: Scope, _: PlacementsQuery
    ) -> tuple[PlacementRecord, ...]:
        return await load_placements(conn, scope.person_id)

    @services.on_effect(StartPlacement)
    async def _start(conn: AsyncConnection, scope: Scope, e: StartPlacement) -> None:
        await start_placement(conn, _person(scope), e, scope.now, rules)

    @services.on_effect(ReportPlacement)
    async def _report(conn: AsyncConnection, scope: Scope, e: ReportPlacement) -> None:
        await report_placement(conn, _person(scope), e, scope.now)

    @services.on_effect(DropPlacement)
    async def _drop(conn: AsyncConnection, scope: Scope, _: DropPlacement) -> None:
        await drop_placement(conn, _person(scope))

    @services.on_delete
    async def _forget(conn: AsyncConnection, scope: Scope, person_id: int) -> None:
        await conn.execute(delete(PL).where(PL.c.person_id == person_id))
