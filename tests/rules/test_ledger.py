"""The monthly job-search requirement at every boundary (Pedoman 2.2 angka 5, 3.7)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from bot.rules.config import RuleSettings
from bot.rules.ledger import (
    BenefitMonth,
    CatalogueApplication,
    Evidence,
    EvidenceKind,
    Review,
    Route,
    benefit_month,
    benefit_months,
    company_key,
    month_of,
    month_progress,
)

RULES = RuleSettings()
START = date(2025, 3, 10)  # month 1: 10 Mar - 9 Apr 2025, with Idul Fitri (31 Mar, 1 Apr)
MONTH = benefit_month(START, 1)
FIRST, LAST = MONTH.start, MONTH.last_day
MID = date(2025, 3, 20)
APP, INV = EvidenceKind.APPLICATION, EvidenceKind.INVITATION
PENDING, ACCEPTED, REJECTED = Review.PENDING, Review.ACCEPTED, Review.REJECTED


def cat(*companies: str, day: date = MID) -> list[CatalogueApplication]:
    return [CatalogueApplication(c, day) for c in companies]


def ev(
    kind: EvidenceKind, *companies: str, day: date = MID, status: Review = ACCEPTED
) -> list[Evidence]:
    return [Evidence(kind, c, day, status) for c in companies]


FIVE = ("PT Satu", "PT Dua", "PT Tiga", "PT Empat", "PT Lima")


def progress(apps: Any = (), evidence: Any = (), rules: RuleSettings = RULES, today: date = MID):
    return month_progress(apps, evidence, MONTH, today, rules)


# -- the three routes ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("apps", "evidence", "rules", "met", "done"),
    [
        # Catalogue: 4 vs 5 different companies.
        (cat(*FIVE[:4]), [], RULES, False, {Route.CATALOGUE: 4}),
        (cat(*FIVE), [], RULES, True, {Route.CATALOGUE: 5}),
        # The same company twice, however it is written, counts once ...
        (cat(*FIVE[:4], "pt. satu tbk"), [], RULES, False, {Route.CATALOGUE: 4}),
        (cat(*FIVE[:4], "P.T. SATU"), [], RULES, False, {Route.CATALOGUE: 4}),
        # ... unless applications are counted (Permenaker 2/2025 Pasal 13).
        (cat(*FIVE[:4], "PT Satu"), [], replace(RULES, ledger_count="applications"), True,
         {Route.CATALOGUE: 5}),
        # Proof of applications elsewhere: 4 vs 5, accepted.
        ([], ev(APP, *FIVE[:4]), RULES, False, {Route.OUTSIDE: 4}),
        ([], ev(APP, *FIVE), RULES, True, {Route.OUTSIDE: 5}),
        ([], ev(APP, *FIVE[:4], "Satu"), RULES, False, {Route.OUTSIDE: 4}),
        # Pending evidence counts by default, and not when the setting says so.
        ([], ev(APP, *FIVE, status=PENDING), RULES, True, {Route.OUTSIDE: 5}),
        ([], ev(APP, *FIVE, status=PENDING), replace(RULES, ledger_count_pending=False), False,
         {Route.OUTSIDE: 0}),
        # Rejected evidence never counts.
        ([], ev(APP, *FIVE[:4]) + ev(APP, "PT Lima", status=REJECTED), RULES, False,
         {Route.OUTSIDE: 4}),
        # One invitation is enough; pending counts, rejected does not.
        ([], ev(INV, "PT Satu"), RULES, True, {Route.INVITATION: 1}),
        ([], ev(INV, "PT Satu", status=PENDING), RULES, True, {Route.INVITATION: 1}),
        ([], ev(INV, "PT Satu", status=REJECTED), RULES, False, {Route.INVITATION: 0}),
        ([], ev(INV, "PT Satu", status=PENDING), replace(RULES, ledger_count_pending=False),
         False, {Route.INVITATION: 0}),
        # Routes are separate by default: 3 + 2 companies meet nothing ...
        (cat(*FIVE[:3]), ev(APP, *FIVE[3:]), RULES, False,
         {Route.CATALOGUE: 3, Route.OUTSIDE: 2}),
        # ... and add up across routes when the setting says so,
        (cat(*FIVE[:3]), ev(APP, *FIVE[3:]), replace(RULES, ledger_cross_route=True), True,
         {Route.APPLICATIONS: 5}),
        # the same company through both counting once.
        (cat(*FIVE[:3]), ev(APP, "PT Empat", "Satu"), replace(RULES, ledger_cross_route=True),
         False, {Route.APPLICATIONS: 4}),
        # An invitation is never an application, even across routes.
        (cat(*FIVE[:4]), ev(INV, "PT Lima", status=REJECTED),
         replace(RULES, ledger_cross_route=True), False,
         {Route.APPLICATIONS: 4, Route.INVITATION: 0}),
        # A company without a name counts for nothing.
        (cat(*FIVE[:4], "  "), [], RULES, False, {Route.CATALOGUE: 4}),
        ([], ev(APP, *FIVE[:4], "..."), RULES, False, {Route.OUTSIDE: 4}),
    ],
)  # fmt: skip
def test_routes(
    apps: list[CatalogueApplication],
    evidence: list[Evidence],
    rules: RuleSettings,
    met: bool,
    done: dict[Route, int],
) -> None:
    result = progress(apps, evidence, rules)
    assert result.met is met
    for route, count in done.items():
        assert result.route(route).done == count, route
        assert result.route(route).missing == max(0, result.route(route).required - count)


def test_a_company_named_only_pt_is_still_a_company() -> None:
    # "PT" alone is kept as a name (nothing else is left); the blank one is dropped.
    result = progress(cat(*FIVE[:4], "  ", "PT"))
    assert result.met
    assert result.route(Route.CATALOGUE).companies[-1] == "PT"


def test_routes_present_follow_the_cross_route_setting() -> None:
    assert [r.route for r in progress().routes] == [
        Route.CATALOGUE,
        Route.OUTSIDE,
        Route.INVITATION,
    ]
    cross = progress(rules=replace(RULES, ledger_cross_route=True))
    assert [r.route for r in cross.routes] == [Route.APPLICATIONS, Route.INVITATION]


def test_thresholds_are_settings() -> None:
    strict = replace(RULES, ledger_min_companies=6, ledger_min_invitations=2)
    assert not progress(cat(*FIVE), ev(INV, "PT Satu"), strict).met
    assert progress(cat(*FIVE, "PT Enam"), rules=strict).met
    assert progress([], ev(INV, "PT Satu", "PT Dua"), strict).met
    assert not progress([], ev(INV, "PT Satu", "Satu Tbk"), strict).met  # one company


# -- the month's boundaries ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "counted"),
    [
        (FIRST - timedelta(days=1), False),
        (FIRST, True),
        (date(2025, 3, 31), True),  # Idul Fitri: a holiday is a day of the month like any other
        (LAST, True),
        (MONTH.end, False),  # the first day of month 2
    ],
)
def test_first_and_last_day_of_the_month(day: date, counted: bool) -> None:
    apps = cat(*FIVE[:4]) + cat("PT Lima", day=day)
    evidence = ev(INV, "PT Enam", day=day)
    result = progress(apps, evidence)
    assert result.route(Route.CATALOGUE).met is counted
    assert result.route(Route.INVITATION).met is counted
    assert result.met is counted


def test_a_month_with_a_holiday_counts_calendar_days_left_and_fewer_working_days() -> None:
    # 10 Mar - 9 Apr 2025: 31 days, 23 weekdays; Idul Fitri takes 31 Mar and 1 Apr.
    assert MONTH.length == 31
    result = progress(today=FIRST)
    assert result.days_left == 31
    assert result.working_days_left == 21
    with_cuti = progress(today=FIRST, rules=replace(RULES, cuti_bersama_non_working=True))
    assert with_cuti.days_left == 31
    assert with_cuti.working_days_left == 16  # 28 Mar, 2-4 Apr and 7 Apr too


@pytest.mark.parametrize(
    ("today", "days_left"),
    [
        (FIRST - timedelta(days=5), 31),  # before the month: all of it
        (FIRST, 31),
        (MID, 21),
        (LAST, 1),  # the last day itself is left
        (MONTH.end, 0),
        (MONTH.end + timedelta(days=40), 0),
    ],
)
def test_days_left(today: date, days_left: int) -> None:
    assert progress(today=today).days_left == days_left
    assert MONTH.days_left(today) == days_left


# -- review status, points, what the dialog shows ------------------------------------------
def test_pending_is_reported_apart_from_confirmed() -> None:
    evidence = ev(APP, *FIVE[:3]) + ev(APP, *FIVE[3:], status=PENDING)
    evidence += ev(APP, "PT Satu", status=PENDING)  # pending again for an accepted company
    evidence += ev(APP, "PT Enam", status=REJECTED)
    result = progress([], evidence)
    outside = result.route(Route.OUTSIDE)
    assert (outside.done, outside.pending) == (5, 2)
    assert outside.met and not outside.met_confirmed
    assert result.met and not result.met_confirmed
    assert (result.pending, result.rejected) == (3, 1)


def test_a_company_both_pending_and_accepted_is_confirmed() -> None:
    evidence = ev(APP, "PT Satu", status=PENDING, day=FIRST) + ev(APP, "Satu", day=LAST)
    outside = progress([], evidence).route(Route.OUTSIDE)
    assert (outside.done, outside.pending, outside.companies) == (1, 0, ("PT Satu",))


def test_counted_companies_keep_their_first_spelling_in_date_order() -> None:
    apps = cat("pt dua", day=LAST) + cat("PT Satu", day=FIRST) + cat("PT DUA Tbk", day=MID)
    assert progress(apps).route(Route.CATALOGUE).companies == ("PT Satu", "PT DUA Tbk")


def test_catalogue_applications_never_wait_for_review() -> None:
    result = progress(cat(*FIVE))
    assert result.met_confirmed
    assert result.route(Route.CATALOGUE).pending == 0


def test_mission_points() -> None:
    apps = cat(*FIVE[:2], "PT Satu") + cat("PT Lain", day=MONTH.end)  # the last one: month 2
    evidence = ev(APP, "PT Tiga") + ev(APP, "PT Empat", status=PENDING)
    evidence += ev(INV, "PT Lima") + ev(INV, "PT Enam", status=REJECTED)
    # 3 catalogue applications (the same company twice is still two applications) x 10,
    # 1 accepted proof x 10, 1 accepted invitation x 20; pending and rejected earn nothing.
    assert progress(apps, evidence).mission_points == 3 * 10 + 10 + 20
    other = replace(
        RULES, mission_points_catalogue=1, mission_points_outside=2, mission_points_invitation=3
    )
    assert progress(apps, evidence, other).mission_points == 3 * 1 + 2 + 3


def test_closest_route() -> None:
    result = progress(cat(*FIVE[:2]), ev(APP, *FIVE[:4]))
    assert result.closest.route is Route.OUTSIDE
    assert result.closest.missing == 1
    met = progress(cat(*FIVE[:2]), ev(INV, "PT Satu"))
    assert met.closest.route is Route.INVITATION and met.closest.met
    # Ties go to the first route in the guideline's order.
    assert progress().closest.route is Route.INVITATION  # 1 missing beats 5 missing


@pytest.mark.parametrize(("number", "pays"), [(1, 2), (5, 6), (6, None)])
def test_which_payment_a_month_earns(number: int, pays: int | None) -> None:
    month = benefit_month(START, number)
    assert month_progress([], [], month, month.start, RULES).pays_month == pays


# -- company names -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("PT Maju Jaya", "maju jaya", True),
        ("PT. Maju-Jaya Tbk.", "MAJU JAYA", True),
        ("P.T. Maju Jaya", "Maju Jaya (Persero)", True),
        ("CV Maju Jaya", "PT Maju Jaya", True),  # the legal form is not what differs
        ("Sinar Mas", "Sinarmas", True),
        ("PT Bank Rakyat Indonesia (Persero) Tbk", "bank rakyat indonesia", True),
        ("Café Kopi", "Cafe Kopi", True),
        ("Samsung Electronics Co., Ltd.", "Samsung Electronics Co", True),
        ("PT Maju Jaya", "PT Maju Jaya Abadi", False),
        ("PT Satu", "PT Dua", False),
        ("Indomaret", "Alfamart", False),
    ],
)
def test_company_key(a: str, b: str, same: bool) -> None:
    assert (company_key(a) == company_key(b)) is same
    assert company_key(a)


@pytest.mark.parametrize("blank", ["", "   ", "...", "-"])
def test_blank_company_key(blank: str) -> None:
    assert company_key(blank) == ""


# -- benefit months ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "number", "first", "end"),
    [
        (date(2025, 3, 10), 1, date(2025, 3, 10), date(2025, 4, 10)),
        (date(2025, 3, 10), 6, date(2025, 8, 10), date(2025, 9, 10)),
        # The 31st clamps to shorter months, and the windows still meet without a gap.
        (date(2025, 1, 31), 1, date(2025, 1, 31), date(2025, 2, 28)),
        (date(2025, 1, 31), 2, date(2025, 2, 28), date(2025, 3, 31)),
        (date(2025, 1, 31), 3, date(2025, 3, 31), date(2025, 4, 30)),
        (date(2023, 12, 31), 2, date(2024, 1, 31), date(2024, 2, 29)),  # leap year
        (date(2025, 9, 15), 4, date(2025, 12, 15), date(2026, 1, 15)),  # over the new year
    ],
)
def test_benefit_month_windows(start: date, number: int, first: date, end: date) -> None:
    assert benefit_month(start, number) == BenefitMonth(number, first, end)


def test_benefit_months_tile_the_benefit_without_gap_or_overlap() -> None:
    day = date(2024, 1, 1)
    while day < date(2025, 1, 1):
        months = benefit_months(day, RULES)
        assert len(months) == 6
        assert months[0].start == day
        for before, after in itertools.pairwise(months):
            assert before.end == after.start
            assert 28 <= before.length <= 31
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "number"),
    [
        (START - timedelta(days=1), None),
        (START, 1),
        (date(2025, 4, 9), 1),
        (date(2025, 4, 10), 2),
        (date(2025, 9, 9), 6),
        (date(2025, 9, 10), None),  # after the 6th month
    ],
)
def test_month_of(day: date, number: int | None) -> None:
    month = month_of(START, day, RULES)
    assert (month.number if month else None) == number
    if month:
        assert day in month


def test_month_of_follows_the_number_of_benefit_months() -> None:
    assert month_of(START, date(2025, 9, 10), replace(RULES, benefit_months=7)) is not None


def test_benefit_months_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        benefit_month(START, 0)


def test_contains_rejects_what_is_not_a_date() -> None:
    assert "2025-03-10" not in MONTH
