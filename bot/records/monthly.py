"""Monthly progress updates in the database (issue 10): who is due which monthly message,
what was sent, and when each periodic job last ran.

A benefit month has three messages, each due in its own part of the month (the dates are
plain columns of ``benefit_months``, bot/records/benefit.py):

- ``start`` from the first day until the mid-month date: how the month before ended and what
  this month needs;
- ``nudge`` from the mid-month date until the last three days, if the month is not met;
- ``warn`` in the last three days, if the month is not met.

The parts do not overlap, so a sweep that missed days (the process was down) sends the one
message of the part the month is in now, once. "Once" is ``monthly_notices``: a row per
(person, month, kind) written in the same transaction as the message (the
:class:`RecordMonthlyNotice` effect), and the selection excludes what it holds. Selection
reads plain indexed columns only (no decryption), in the zones it is daytime in.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.services import Scope, Services
from bot.core.types import Effect, Query
from bot.records.benefit import WARN_DAYS
from bot.records.monthly_tables import JobRun, MonthlyNotice
from bot.storage.models import BenefitMonthRow, Identity, Person, ProcessedEvent, table
from bot.storage.people import upsert

BM, P, ID = table(BenefitMonthRow), table(Person), table(Identity)
MN, JR, PE = table(MonthlyNotice), table(JobRun), table(ProcessedEvent)

START, NUDGE, WARN = "start", "nudge", "warn"
KINDS = (START, NUDGE, WARN)
LONGEST_HALF = 16  # days from a month's start to its mid-month date (31-day month: 15)


# -- what a dialog asks and does ---------------------------------------------------------------
@dataclass(frozen=True)
class NoticeRecord:
    number: int  # the benefit month
    kind: str  # start | nudge | warn
    queued_at: datetime


@dataclass(frozen=True)
class MonthlyNoticesQuery(Query[tuple[NoticeRecord, ...]]):
    """The monthly messages sent to the person, oldest first (for DATA)."""


@dataclass(frozen=True)
class RecordMonthlyNotice(Effect):
    """This month's message of this kind is done (sent, or found not needed any more)."""

    number: int
    kind: str


def event_key(person_id: int, number: int, kind: str) -> str:
    """The system event's idempotency key: (person, kind, period)."""
    return f"{key_prefix(person_id)}{number}:{kind}"


def key_prefix(person_id: int) -> str:
    return f"monthly:{person_id}:"


# -- the selection -----------------------------------------------------------------------------
async def due(
    conn: AsyncConnection,
    kind: str,
    today: date,
    *,
    zones: Collection[str],
    default_zone: bool,
    limit: int | None = None,
    after: int = 0,
) -> list[tuple[int, int]]:
    """(person id, benefit month) of those the ``kind`` message is due to on ``today`` (a
    local date of ``zones``; ``default_zone``: also persons with no zone of their own), who
    agreed, did not say STOP, have an identity that can receive, and were not sent it yet.
    Each part of the month is a tight range on an indexed date column; ``after`` (a person
    id) pages through them in order, so a long sweep never reads its own work again."""
    stmt = (
        select(BM.c.person_id, BM.c.number)
        .join(P, P.c.id == BM.c.person_id)
        .where(P.c.consent == "granted", P.c.opted_out.is_(False))
    )
    in_zone = P.c.tz.in_(list(zones))
    stmt = stmt.where(or_(in_zone, P.c.tz.is_(None)) if default_zone else in_zone)
    if kind == START:
        stmt = stmt.where(
            BM.c.starts_on.between(today - timedelta(days=LONGEST_HALF), today),
            BM.c.nudge_on > today,
        )
    elif kind == NUDGE:
        stmt = stmt.where(
            BM.c.nudge_on.between(today - timedelta(days=LONGEST_HALF), today),
            BM.c.warn_on > today,
            BM.c.met.is_(False),
        )
    elif kind == WARN:
        stmt = stmt.where(
            BM.c.warn_on.between(today - timedelta(days=WARN_DAYS - 1), today),
            BM.c.met.is_(False),
        )
    else:
        raise ValueError(f"unknown monthly message {kind!r}")
    reachable = exists().where(ID.c.person_id == BM.c.person_id, ID.c.blocked.is_(False))
    sent = exists().where(
        and_(MN.c.person_id == BM.c.person_id, MN.c.number == BM.c.number, MN.c.kind == kind)
    )
    stmt = stmt.where(reachable, ~sent, BM.c.person_id > after).order_by(BM.c.person_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(int(r[0]), int(r[1])) for r in await conn.execute(stmt)]


async def record_notice(
    conn: AsyncConnection, person_id: int, number: int, kind: str, now: datetime
) -> bool:
    """Mark the message done; False when it already was (another process, a rerun)."""
    stmt = upsert(conn, MN).values(person_id=person_id, number=number, kind=kind, queued_at=now)
    result = await conn.execute(stmt.on_conflict_do_nothing())
    return bool(result.rowcount)


async def notices(conn: AsyncConnection, person_id: int) -> tuple[NoticeRecord, ...]:
    rows = await conn.execute(
        select(MN.c.number, MN.c.kind, MN.c.queued_at)
        .where(MN.c.person_id == person_id)
        .order_by(MN.c.queued_at, MN.c.number)
    )
    return tuple(NoticeRecord(int(r.number), str(r.kind), r.queued_at) for r in rows)


# -- job runs ------------------------------------------------------------------------------------
async def last_run(conn: AsyncConnection, name: str) -> datetime | None:
    value: datetime | None = await conn.scalar(select(JR.c.last_run_at).where(JR.c.name == name))
    return value


async def mark_run(conn: AsyncConnection, name: str, at: datetime, count: int) -> None:
    stmt = upsert(conn, JR).values(name=name, last_run_at=at, last_count=count)
    await conn.execute(  # two processes may finish a run at the same moment
        stmt.on_conflict_do_update(index_elements=[JR.c.name],
                                   set_={"last_run_at": at, "last_count": count})
    )  # fmt: skip


# -- the services registry -----------------------------------------------------------------------
def register(services: Services) -> None:
    @services.on_effect(RecordMonthlyNotice)
    async def _record(conn: AsyncConnection, scope: Scope, e: RecordMonthlyNotice) -> None:
        assert scope.person_id is not None
        await record_notice(conn, scope.person_id, e.number, e.kind, scope.now)

    @services.on_query(MonthlyNoticesQuery)
    async def _notices(
        conn: AsyncConnection, scope: Scope, q: MonthlyNoticesQuery
    ) -> tuple[NoticeRecord, ...]:
        if scope.person_id is None:
            return ()
        return await notices(conn, scope.person_id)

    @services.on_delete
    async def _forget(conn: AsyncConnection, scope: Scope, person_id: int) -> None:
        # The foreign key cascades too; said here so HAPUS does not rest on it alone. The
        # sweeps' event keys name the person: gone too (an id SQLite may give out again).
        await conn.execute(delete(MN).where(MN.c.person_id == person_id))
        await conn.execute(
            delete(PE).where(
                PE.c.channel == "system", PE.c.event_id.like(f"{key_prefix(person_id)}%")
            )
        )
