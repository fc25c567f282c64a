"""The monthly ledger in the database: every change that can move a month's progress writes
the ``benefit_months`` progress columns in its own transaction (applications, evidence
recorded, accepted, rejected, the benefit start set), at the boundaries of the rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.evidence.review import EvidenceReview
from bot.records.evidence_model import RecordEvidence
from bot.records.model import RecordApplication, SetBenefitStart
from bot.rules.ledger import EvidenceKind
from bot.settings import Settings
from bot.storage.models import BenefitMonthRow, EvidenceRow, table
from bot.testing.client import ChatClient, consented
from bot.testing.clock import FrozenClock
from bot.testing.db import apply_effects, snapshot

BM = table(BenefitMonthRow)
START = date(2025, 4, 15)  # month 2: 15 May - 14 June 2025 (the frozen clock's today: 2 June)


async def person(app: App, user: str = "p1") -> int:
    await consented(ChatClient(app.engine, user=user))
    snap = await snapshot(app, "console", user)
    assert snap is not None
    return snap.person.id


def applied(company: str, day: date, n: int) -> RecordApplication:
    return RecordApplication("karirhub", f"v{n}", "Operator", company, on=day)


async def month(app: App, person_id: int, number: int) -> Any:
    async with app.db.read() as conn:
        return (
            await conn.execute(select(BM).where(BM.c.person_id == person_id, BM.c.number == number))
        ).one()


def progress(row: Any) -> tuple[Any, ...]:
    return (row.met, row.met_confirmed, row.catalogue_done, row.outside_done,
            row.invitations_done, row.pending, row.mission_points)  # fmt: skip


async def test_applications_made_before_the_start_was_known_count_once_it_is(app: App) -> None:
    p = await person(app)
    companies = ["PT Satu", "PT Dua", "CV Tiga", "PT Empat", "PT Lima"]
    await apply_effects(app, p, *(applied(c, date(2025, 5, 20), n) for n, c in
                                  enumerate(companies)))  # fmt: skip
    await apply_effects(app, p, SetBenefitStart(START))
    assert progress(await month(app, p, 2)) == (True, True, 5, 0, 0, 0, 50)
    assert progress(await month(app, p, 1)) == (False, False, 0, 0, 0, 0, 0)


async def test_four_companies_the_same_company_again_then_five(app: App) -> None:
    p = await person(app)
    await apply_effects(app, p, SetBenefitStart(START))
    day = date(2025, 5, 20)
    for n, company in enumerate(["PT Satu", "PT Dua", "PT Tiga", "PT Empat"]):
        await apply_effects(app, p, applied(company, day, n))
    assert progress(await month(app, p, 2))[:3] == (False, False, 4)
    await apply_effects(app, p, applied("pt. satu tbk", day, 10))  # the same company
    assert progress(await month(app, p, 2))[:3] == (False, False, 4)
    await apply_effects(app, p, applied("PT Lima", day, 11))
    assert progress(await month(app, p, 2))[:3] == (True, True, 5)


async def test_applications_as_the_setting_counts_the_same_company_twice(
    settings: Settings, clock: FrozenClock
) -> None:
    rules = replace(settings.rules, ledger_count="applications")
    app = await build_app(replace(settings, rules=rules), clock=clock)
    try:
        p = await person(app)
        await apply_effects(app, p, SetBenefitStart(START))
        for n in range(5):
            await apply_effects(app, p, applied("PT Satu", date(2025, 5, 20), n))
        assert progress(await month(app, p, 2))[:3] == (True, True, 5)
    finally:
        await app.close()


@pytest.mark.parametrize(
    ("day", "number"),
    [(date(2025, 2, 27), 1), (date(2025, 2, 28), 2), (date(2025, 1, 31), 1),
     (date(2025, 3, 30), 2), (date(2025, 3, 31), 3)],
    ids=["last-day-of-month-1", "first-day-of-month-2", "first-day", "last-day-of-month-2",
         "first-day-of-month-3"],
)  # fmt: skip
async def test_an_item_counts_in_the_month_of_its_own_date(
    app: App, day: date, number: int
) -> None:
    p = await person(app)
    await apply_effects(app, p, SetBenefitStart(date(2025, 1, 31)))  # months clamp: 27/28 Feb
    await apply_effects(app, p, RecordEvidence(EvidenceKind.INVITATION, "PT Satu", day, ()))
    counted = {n: (await month(app, p, n)).invitations_done for n in range(1, 7)}
    assert counted == {n: int(n == number) for n in range(1, 7)}


async def test_pending_counts_accepted_confirms_rejected_stops_counting(app: App) -> None:
    p = await person(app)
    await apply_effects(app, p, SetBenefitStart(START))
    await apply_effects(
        app, p, RecordEvidence(EvidenceKind.INVITATION, "PT Satu", date(2025, 6, 1), ())
    )
    assert progress(await month(app, p, 2)) == (True, False, 0, 0, 1, 1, 0)
    async with app.db.read() as conn:
        (evidence_id,) = (await conn.execute(select(table(EvidenceRow).c.id))).scalars()
    review = EvidenceReview(app)
    await review.accept(evidence_id, "tester")
    assert progress(await month(app, p, 2)) == (True, True, 0, 0, 1, 0, 20)
    await review.reject(evidence_id, "Bukan surat undangan", "tester")
    assert progress(await month(app, p, 2)) == (False, False, 0, 0, 0, 0, 0)


async def test_pending_evidence_does_not_count_when_the_setting_says_so(
    settings: Settings, clock: FrozenClock
) -> None:
    rules = replace(settings.rules, ledger_count_pending=False)
    app = await build_app(replace(settings, rules=rules), clock=clock)
    try:
        p = await person(app)
        await apply_effects(app, p, SetBenefitStart(START))
        await apply_effects(
            app, p, RecordEvidence(EvidenceKind.INVITATION, "PT Satu", date(2025, 6, 1), ())
        )
        assert progress(await month(app, p, 2)) == (False, False, 0, 0, 0, 1, 0)
    finally:
        await app.close()


async def test_across_routes_the_columns_stay_per_route(
    settings: Settings, clock: FrozenClock
) -> None:
    rules = replace(settings.rules, ledger_cross_route=True)
    app = await build_app(replace(settings, rules=rules), clock=clock)
    try:
        p = await person(app)
        await apply_effects(app, p, SetBenefitStart(START))
        day = date(2025, 5, 25)
        for n, company in enumerate(["PT Satu", "PT Dua", "PT Tiga"]):
            await apply_effects(app, p, applied(company, day, n))
        await apply_effects(
            app, p,
            RecordEvidence(EvidenceKind.APPLICATION, "PT Empat", day, ()),
            RecordEvidence(EvidenceKind.APPLICATION, "PT Satu", day, ()),  # counted once
        )  # fmt: skip
        assert progress(await month(app, p, 2))[:5] == (False, False, 3, 2, 0)
        await apply_effects(app, p, RecordEvidence(EvidenceKind.APPLICATION, "PT Lima", day, ()))
        assert progress(await month(app, p, 2))[:5] == (True, False, 3, 3, 0)
    finally:
        await app.close()


async def test_another_persons_change_leaves_this_person_alone(app: App) -> None:
    a, b = await person(app, "a"), await person(app, "b")
    await apply_effects(app, a, SetBenefitStart(START))
    await apply_effects(app, b, SetBenefitStart(START))
    await apply_effects(
        app, b, RecordEvidence(EvidenceKind.INVITATION, "PT Satu", date(2025, 6, 1), ())
    )
    assert (await month(app, a, 2)).met is False
    assert (await month(app, b, 2)).met is True
