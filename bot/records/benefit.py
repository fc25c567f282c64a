"""Benefit months in the database: written when the benefit start is known, read by sweeps.

Each person with a benefit start has one ``benefit_months`` row per month of the benefit
(PP 6/2025: up to 6), with the month's window and the dates the monthly messages fall on
(start, mid-month nudge, the last three days), and the progress against the job-search
requirement (bot/rules/ledger.py), which the ledger keeps up to date. A sweep then finds
"month 3, WITA, opted in, not yet met" with plain, indexed columns — no decryption.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.rules.config import RuleSettings
from bot.rules.ledger import benefit_months
from bot.storage.models import BenefitMonthRow, Person, table

BM, P = table(BenefitMonthRow), table(Person)
WARN_DAYS = 3  # "in the last 3 days" (issue 10)

Moment = Literal["month_start", "mid_month", "last_days"]


def month_rows(
    person_id: int, start: date, now: datetime, rules: RuleSettings | None = None
) -> list[dict[str, Any]]:
    """The rows of a person's benefit months, progress still empty."""
    rows = []
    for month in benefit_months(start, rules or RuleSettings()):
        rows.append({
            "person_id": person_id, "number": month.number, "starts_on": month.start,
            "ends_on": month.end, "nudge_on": month.start + (month.end - month.start) // 2,
            "warn_on": month.end - timedelta(days=WARN_DAYS), "met": False,
            "met_confirmed": False, "catalogue_done": 0, "outside_done": 0,
            "invitations_done": 0, "pending": 0, "mission_points": 0, "updated_at": now,
        })  # fmt: skip
    return rows


async def set_benefit_start(
    conn: AsyncConnection,
    person_id: int,
    start: date | None,
    now: datetime,
    rules: RuleSettings | None = None,
) -> None:
    """Record the benefit start and lay out its months (None forgets both)."""
    await conn.execute(update(P).where(P.c.id == person_id).values(benefit_start=start))
    await conn.execute(delete(BM).where(BM.c.person_id == person_id))
    if start is not None:
        await conn.execute(insert(BM), month_rows(person_id, start, now, rules))


async def due(
    conn: AsyncConnection,
    moment: Moment,
    today: date,
    *,
    zones: Collection[str],
    default_zone: bool,
    month: int | None = None,
) -> list[tuple[int, int]]:
    """(person id, benefit month) of the persons a monthly message is due to today, in the
    given time zones (``default_zone``: also those with no zone of their own): who agreed,
    did not say STOP, and — for the nudge and the warning — have not met the requirement.
    Plain indexed columns only."""
    stmt = (
        select(BM.c.person_id, BM.c.number)
        .join(P, P.c.id == BM.c.person_id)
        .where(P.c.consent == "granted", P.c.opted_out.is_(False))
    )
    in_zone = P.c.tz.in_(list(zones))
    stmt = stmt.where(or_(in_zone, P.c.tz.is_(None)) if default_zone else in_zone)
    if moment == "month_start":
        stmt = stmt.where(BM.c.starts_on == today)
    elif moment == "mid_month":
        stmt = stmt.where(BM.c.nudge_on == today, BM.c.met.is_(False))
    else:
        # The last days: warn_on <= today < ends_on = warn_on + WARN_DAYS, as a tight range
        # on the index (not "every month that ever started before today").
        first = today - timedelta(days=WARN_DAYS - 1)
        stmt = stmt.where(BM.c.warn_on.between(first, today), BM.c.met.is_(False))
    if month is not None:
        stmt = stmt.where(BM.c.number == month)
    rows = await conn.execute(stmt.order_by(BM.c.person_id))
    return [(int(r[0]), int(r[1])) for r in rows]
