"""The monthly job-search requirement for the JKP cash benefit, as one pure function.

Sources: Pedoman Pusat Pasar Kerja 1/543/PK.00.0/III/2024 ("Pedoman") 2.2 angka 5 and 3.7;
Permenaker 15/2021 as amended by Permenaker 2/2025, Pasal 13 (FACTS.md §1).

What the texts say:
- Pedoman 3.7: to claim next month's cash benefit a beneficiary meets *one* of: (1) 5
  applications in Karirhub to 5 different companies; (2) uploaded proof of applications made
  outside Karirhub to at least 5 companies in 1 month; (3) uploaded proof of an invitation to
  a selection test or interview from at least 1 company in 1 month.
- Pedoman 2.2 angka 5 says the same of uploads with "dan/atau".
- Permenaker 2/2025 Pasal 13: "actively job-hunting" is at least 5 applications a month, or at
  least 1 invitation; months 2-6 are paid for the activity of the month before.

The reading implemented here (each choice the texts leave open is a ``RuleSettings`` field):
- **The month** is the benefit month (:class:`BenefitMonth`): month ``n`` (1-6) runs from the
  benefit start date plus ``n - 1`` calendar months (inclusive) to the start date plus ``n``
  calendar months (exclusive), clamped to the month's last day as in
  :func:`bot.rules.eligibility.add_months`: start 31 Jan, month 1 is 31 Jan-27 Feb, month 2 is
  28 Feb-30 Mar. The windows follow one another without gap or overlap. Activity in month
  ``n`` earns the payment of month ``n + 1`` (Pasal 13); month 6's activity earns none.
  A holiday changes nothing in the window: it is calendar days. Only ``working_days_left``
  counts working days (bot/rules/workdays.py).
- **An item belongs to the month of its own date**: the date of the application, or of the
  invitation (as the person gives it), not the day it was uploaded.
- **Three routes, taken separately** (Pedoman 3.7, "atau"), the requirement met when any one
  is: catalogue applications (``ledger_min_companies``, 5), proof of applications elsewhere
  (5), proof of invitations (``ledger_min_invitations``, 1).
- **"5 different companies"** is the default (``ledger_count = "companies"``): within a route
  the same company counts once, its name normalised (:func:`company_key`: case, punctuation,
  spacing and legal forms such as PT, CV, Tbk, (Persero) do not make a company different).
  ``ledger_count = "applications"`` reads Pasal 13's "5 applications" instead: each
  application counts, the same company twice counts twice.
- **Across routes** (``ledger_cross_route``, default off): when on, catalogue applications and
  uploaded proofs of applications add up as one route ("applications"), so 3 companies through
  the catalogue and 2 others by proof meet it; the same company through both counts once.
  Invitations stay their own route: an invitation is a different act, and one suffices.
- **Review status**: rejected evidence never counts. Pending evidence counts by default
  (``ledger_count_pending``): the guideline asks the person to *upload* proof; the review is
  our counselors' check, it can lag past the month's end, and a person who did their part
  should not be told otherwise. Each route says how much of its count still rests on pending
  evidence, and :attr:`MonthProgress.met_confirmed` tells whether accepted items alone meet
  it. Catalogue applications are records of the system itself and need no review.
- An item whose company name is empty (after normalisation) does not count.
- **Mission points** (Pedoman 3.7 says they grow with applications; the amounts are not
  public, FACTS.md §5): our own, per item of the month: each catalogue application, each
  *accepted* proof of an application, each *accepted* invitation (settings).
- **Days left**: the calendar days from today to the window's last day, today included; the
  whole window before it starts; 0 after it ends.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.rules.config import RuleSettings
from bot.rules.eligibility import add_months
from bot.rules.workdays import working_days_between


# -- benefit months ---------------------------------------------------------------------
@dataclass(frozen=True)
class BenefitMonth:
    """Month ``number`` of the benefit: the days ``start <= day < end``."""

    number: int
    start: date
    end: date  # the first day of the next month: exclusive

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def length(self) -> int:
        return (self.end - self.start).days

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day < self.end

    def days_left(self, today: date) -> int:
        """Calendar days from ``today`` to the last day, both counted; 0 once it is over."""
        return max(0, (self.end - max(today, self.start)).days)


def benefit_month(benefit_start: date, number: int) -> BenefitMonth:
    """Month ``number`` (1 for the first) counted from the benefit start date."""
    if number < 1:
        raise ValueError(f"benefit months are counted from 1, got {number}")
    return BenefitMonth(
        number, add_months(benefit_start, number - 1), add_months(benefit_start, number)
    )


def benefit_months(benefit_start: date, rules: RuleSettings) -> tuple[BenefitMonth, ...]:
    """Every month of the benefit (``rules.benefit_months`` of them, 6 by default)."""
    return tuple(benefit_month(benefit_start, n) for n in range(1, rules.benefit_months + 1))


def month_of(benefit_start: date, day: date, rules: RuleSettings) -> BenefitMonth | None:
    """The benefit month ``day`` falls in; None before the start or after the last month."""
    for month in benefit_months(benefit_start, rules):
        if day in month:
            return month
    return None


# -- inputs -----------------------------------------------------------------------------
class EvidenceKind(StrEnum):
    APPLICATION = "application"  # proof of an application outside the catalogue
    INVITATION = "invitation"  # proof of an invitation to a selection test or interview


class Review(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Route(StrEnum):
    CATALOGUE = "catalogue"  # Pedoman 3.7 angka 1
    OUTSIDE = "outside"  # Pedoman 3.7 angka 2
    INVITATION = "invitation"  # Pedoman 3.7 angka 3
    APPLICATIONS = "applications"  # angka 1 and 2 together, when ledger_cross_route is on


@dataclass(frozen=True)
class CatalogueApplication:
    """An application made through the catalogue (a record of the system, no review)."""

    company: str
    day: date


@dataclass(frozen=True)
class Evidence:
    """An uploaded proof: its kind, the company, the date of the act, its review status."""

    kind: EvidenceKind
    company: str
    day: date
    status: Review = Review.PENDING


# -- outputs ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RouteProgress:
    route: Route
    required: int
    done: int  # companies (or applications) counted
    pending: int  # how many of ``done`` rest on evidence still waiting for review
    companies: tuple[str, ...]  # the counted companies as first written, in date order

    @property
    def met(self) -> bool:
        return self.done >= self.required

    @property
    def met_confirmed(self) -> bool:
        """Met by catalogue applications and accepted evidence alone."""
        return self.done - self.pending >= self.required

    @property
    def missing(self) -> int:
        return max(0, self.required - self.done)


@dataclass(frozen=True)
class MonthProgress:
    month: BenefitMonth
    routes: tuple[RouteProgress, ...]
    days_left: int
    working_days_left: int
    mission_points: int
    pending: int  # pieces of evidence of the month still waiting for review
    rejected: int  # pieces of evidence of the month rejected (they do not count)
    pays_month: int | None  # the benefit month whose payment this month's activity earns

    @property
    def met(self) -> bool:
        return any(r.met for r in self.routes)

    @property
    def met_confirmed(self) -> bool:
        return any(r.met_confirmed for r in self.routes)

    @property
    def closest(self) -> RouteProgress:
        """The route nearest to being met: met first, then the fewest missing (in order)."""
        return min(self.routes, key=lambda r: (not r.met, r.missing))

    def route(self, route: Route) -> RouteProgress:
        return next(r for r in self.routes if r.route is route)


# -- company names ----------------------------------------------------------------------
# Legal forms and their abbreviations, as separate words: Indonesian (PT, CV, Tbk, Persero,
# UD, PD, Firma/Fa, Perum, Perumda) and those of employers abroad.
LEGAL_FORMS = frozenset(
    {
        *("pt", "cv", "tbk", "persero", "ud", "pd", "fa", "firma", "perum", "perumda"),
        *("perseroan", "terbatas", "ltd", "limited", "inc", "llc", "corp", "corporation"),
        *("pte", "sdn", "bhd", "gmbh", "bv"),
    }
)
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_DOTTED = re.compile(r"\b((?:[a-z]\.){2,})")  # P.T. -> pt


def company_key(name: str) -> str:
    """A company's name for "different companies": "PT. Maju-Jaya Tbk" and "maju jaya" are the
    same company, as are "Sinar Mas" and "Sinarmas". Empty when nothing is left."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = _DOTTED.sub(lambda m: m.group(1).replace(".", ""), text)
    words = [w for w in _NOT_WORD.split(text) if w]
    kept = [w for w in words if w not in LEGAL_FORMS]
    return "".join(kept or words)


# -- the rule ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Item:
    company: str
    key: str
    day: date
    pending: bool


def _count(
    route: Route, required: int, items: Sequence[_Item], rules: RuleSettings
) -> RouteProgress:
    items = sorted(items, key=lambda i: (i.day, i.pending))  # confirmed first on a day
    if rules.ledger_count == "applications":
        names = tuple(dict.fromkeys(i.company for i in items))
        return RouteProgress(route, required, len(items), sum(i.pending for i in items), names)
    first: dict[str, _Item] = {}
    confirmed: set[str] = set()
    for item in items:
        first.setdefault(item.key, item)
        if not item.pending:
            confirmed.add(item.key)
    pending = sum(1 for key in first if key not in confirmed)
    names = tuple(i.company for i in first.values())
    return RouteProgress(route, required, len(first), pending, names)


def month_progress(
    applications: Iterable[CatalogueApplication],
    evidence: Iterable[Evidence],
    month: BenefitMonth,
    today: date,
    rules: RuleSettings,
) -> MonthProgress:
    """How far the person has come this month on each route (see the module docstring)."""
    catalogue: list[_Item] = []
    outside: list[_Item] = []
    invitations: list[_Item] = []
    points = pending_count = rejected_count = 0
    for app in applications:
        if app.day in month:
            points += rules.mission_points_catalogue
            if key := company_key(app.company):
                catalogue.append(_Item(app.company.strip(), key, app.day, pending=False))
    for ev in evidence:
        if ev.day not in month:
            continue
        pending_count += ev.status is Review.PENDING
        rejected_count += ev.status is Review.REJECTED
        if ev.status is Review.ACCEPTED:
            points += (
                rules.mission_points_invitation
                if ev.kind is EvidenceKind.INVITATION
                else rules.mission_points_outside
            )
        counts = ev.status is Review.ACCEPTED or (
            ev.status is Review.PENDING and rules.ledger_count_pending
        )
        key = company_key(ev.company)
        if counts and key:
            item = _Item(ev.company.strip(), key, ev.day, pending=ev.status is Review.PENDING)
            (invitations if ev.kind is EvidenceKind.INVITATION else outside).append(item)

    need, need_invitations = rules.ledger_min_companies, rules.ledger_min_invitations
    if rules.ledger_cross_route:
        application_routes: tuple[RouteProgress, ...] = (
            _count(Route.APPLICATIONS, need, catalogue + outside, rules),
        )
    else:
        application_routes = (
            _count(Route.CATALOGUE, need, catalogue, rules),
            _count(Route.OUTSIDE, need, outside, rules),
        )
    routes = (*application_routes, _count(Route.INVITATION, need_invitations, invitations, rules))
    return MonthProgress(
        month=month,
        routes=routes,
        days_left=month.days_left(today),
        working_days_left=working_days_between(
            max(today, month.start), month.end, cuti_bersama=rules.cuti_bersama_non_working
        ),
        mission_points=points,
        pending=pending_count,
        rejected=rejected_count,
        pays_month=month.number + 1 if month.number < rules.benefit_months else None,
    )
