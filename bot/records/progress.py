"""The monthly ledger kept up to date: a person's benefit months counted again.

:func:`refresh_progress` is called in the same transaction as every change that can move a
month's progress: an application recorded (``RecordApplication``), a piece of evidence
recorded, accepted or rejected, the benefit start set. It reads the month's catalogue
applications and evidence, runs the pure rule (:func:`bot.rules.ledger.month_progress`) and
writes the progress columns of ``benefit_months``, which sweeps then select by.

The columns: ``catalogue_done``, ``outside_done`` and ``invitations_done`` are each route
counted on its own (companies or applications, as ``LEDGER_COUNT`` says), whatever
``LEDGER_CROSS_ROUTE`` is; ``met`` and ``met_confirmed`` follow the settings as they are
(with cross-route counting, catalogue and outside add up); ``pending`` is the number of the
month's pieces still waiting for review; ``mission_points`` the month's points.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.records.applications import catalogue_applications
from bot.records.evidence import ledger_evidence
from bot.rules.config import RuleSettings
from bot.rules.ledger import BenefitMonth, Route, month_progress
from bot.storage.models import BenefitMonthRow, table

BM = table(BenefitMonthRow)


async def refresh_progress(
    conn: AsyncConnection,
    person_id: int,
    now: datetime,
    rules: RuleSettings,
    *,
    days: Iterable[date] | None = None,
) -> int:
    """Count again the person's benefit months that contain one of ``days`` (every month when
    None) and store their progress; returns how many months were written."""
    rows = (
        await conn.execute(
            select(BM.c.number, BM.c.starts_on, BM.c.ends_on).where(BM.c.person_id == person_id)
        )
    ).all()
    months = [BenefitMonth(r.number, r.starts_on, r.ends_on) for r in rows]
    if days is not None:
        wanted = set(days)
        months = [m for m in months if any(d in m for d in wanted)]
    if not months:
        return 0
    start, end = min(m.start for m in months), max(m.end for m in months)
    applications = await catalogue_applications(conn, person_id, start, end)
    evidence = await ledger_evidence(conn, person_id, start, end)
    separate = replace(rules, ledger_cross_route=False)
    today = now.date()
    for month in months:
        counted = month_progress(applications, evidence, month, today, rules)
        routes = month_progress(applications, evidence, month, today, separate)
        await conn.execute(
            update(BM)
            .where(BM.c.person_id == person_id, BM.c.number == month.number)
            .values(
                met=counted.met,
                met_confirmed=counted.met_confirmed,
                catalogue_done=routes.route(Route.CATALOGUE).done,
                outside_done=routes.route(Route.OUTSIDE).done,
                invitations_done=routes.route(Route.INVITATION).done,
                pending=counted.pending,
                mission_points=counted.mission_points,
                updated_at=now,
            )
        )
    return len(months)
