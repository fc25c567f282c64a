"""Applications in the database: recorded by the ``RecordApplication`` effect, read by the
portfolio (``ApplicationsQuery``) and by the monthly ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.services import Scope, Services
from bot.records.model import (
    APPLICATION_STATUSES,
    ApplicationRecord,
    ApplicationsQuery,
    RecordApplication,
)
from bot.rules.config import RuleSettings
from bot.rules.ledger import CatalogueApplication
from bot.storage.models import Application, table
from bot.storage.people import bump_version, upsert

A = table(Application)


def _record(row: Any) -> ApplicationRecord:
    data = dict(row.data)
    return ApplicationRecord(
        id=row.id, source=row.source, source_id=row.source_id, title=data.get("title", ""),
        company=data.get("company", ""), city=data.get("city", ""), applied_at=row.applied_at,
        applied_on=row.applied_on, status=row.status, status_at=row.status_at, via=row.via,
    )  # fmt: skip


async def load_applications(
    conn: AsyncConnection, person_id: int | None, since: date | None = None
) -> tuple[ApplicationRecord, ...]:
    if person_id is None:
        return ()
    stmt = select(A).where(A.c.person_id == person_id)
    if since is not None:
        stmt = stmt.where(A.c.applied_on >= since)
    rows = await conn.execute(stmt.order_by(A.c.applied_at.desc(), A.c.id.desc()))
    return tuple(_record(r) for r in rows)


async def record_application(
    conn: AsyncConnection, person_id: int, e: RecordApplication, now: datetime, today: date
) -> bool:
    """Insert the application; False when this vacancy was already applied to."""
    data = {"title": e.title, "company": e.company, "city": e.city, "cv": dict(e.cv)}
    stmt = upsert(conn, A).values(
        person_id=person_id, vacancy_id=e.vacancy_id, source=e.source, source_id=e.source_id,
        via=e.via, applied_at=now, applied_on=today, status="sent", status_at=now, data=data,
    )  # fmt: skip
    result = await conn.execute(stmt.on_conflict_do_nothing())
    return bool(result.rowcount)


async def set_status(
    conn: AsyncConnection, application_id: int, status: str, now: datetime
) -> int | None:
    """Change an application's status (an import, an operator); returns the person's id, or
    None when there is no such application or the status is the same."""
    if status not in APPLICATION_STATUSES:
        raise ValueError(f"unknown status {status!r}; one of {', '.join(APPLICATION_STATUSES)}")
    row = (
        await conn.execute(select(A.c.person_id, A.c.status).where(A.c.id == application_id))
    ).first()
    if row is None or row.status == status:
        return None
    await conn.execute(
        update(A).where(A.c.id == application_id).values(status=status, status_at=now)
    )
    await bump_version(conn, row.person_id)
    return int(row.person_id)


async def catalogue_applications(
    conn: AsyncConnection, person_id: int, start: date, end: date
) -> list[CatalogueApplication]:
    """The person's applications with ``start <= applied_on < end``, for the ledger."""
    rows = await conn.execute(
        select(A.c.applied_on, A.c.data).where(
            A.c.person_id == person_id, A.c.applied_on >= start, A.c.applied_on < end
        )
    )
    return [CatalogueApplication(company=dict(r.data).get("company", ""), day=r.applied_on)
            for r in rows]  # fmt: skip


def register(services: Services, rules: RuleSettings) -> None:
    from bot.records.progress import refresh_progress  # it reads applications: import late

    @services.on_effect(RecordApplication)
    async def _apply(conn: AsyncConnection, scope: Scope, e: RecordApplication) -> None:
        assert scope.person_id is not None
        day = e.on or scope.now.date()
        if await record_application(conn, scope.person_id, e, scope.now, day):
            # The month the application falls in is counted again (the monthly ledger).
            await refresh_progress(conn, scope.person_id, scope.now, rules, days=(day,))

    @services.on_query(ApplicationsQuery)
    async def _applications(
        conn: AsyncConnection, scope: Scope, q: ApplicationsQuery
    ) -> tuple[ApplicationRecord, ...]:
        return await load_applications(conn, scope.person_id, q.since)
