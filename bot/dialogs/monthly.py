"""Monthly progress updates (issue 10, Pedoman 3.7): what the monthly sweeps say. Diagram:
monthly.mmd.

Not a menu item: it only answers the system events the sweeps raise (scheduler/monthly.py),
one per benefit month and kind:

- ``monthly_start``: how the month before ended (met or not) and what this month needs;
- ``monthly_nudge`` (mid-month) and ``monthly_warn`` (the last days): how far the person has
  come ("2 dari 5 perusahaan"), what is missing, how long is left — said only while the
  month is not met (it may have been met since the sweep selected the person).

Every message ends with a button that opens "Syarat bulanan & bukti" (``menu:evidence``).
The counts are the ledger's, computed here from the records the dialog asks for, exactly as
the evidence dialog shows them. Whatever it says, the turn records the notice
(:class:`RecordMonthlyNotice`) in the same transaction, so it is said once.
"""

from __future__ import annotations

from typing import Any

from bot.core.types import Context, Input, Say, SystemEvent, Turn, combine, say
from bot.dialogs.base import DialogDefaults
from bot.dialogs.evidence import ROUTE_LINE
from bot.records.evidence_model import EvidenceQuery
from bot.records.model import ApplicationsQuery
from bot.records.monthly import KINDS, NUDGE, START, WARN, MonthlyNoticesQuery, RecordMonthlyNotice
from bot.rules.config import RuleSettings
from bot.rules.ledger import (
    BenefitMonth,
    CatalogueApplication,
    Evidence,
    MonthProgress,
    Route,
    RouteProgress,
    benefit_months,
    month_progress,
)
from bot.rules.parsing import format_date

NAME = "monthly"
EVENT = {kind: f"monthly_{kind}" for kind in KINDS}  # system event kind per message kind
KIND_OF = {event: kind for kind, event in EVENT.items()}
DATA_LINE = {
    START: "utter_data_monthly_start",
    NUDGE: "utter_data_monthly_nudge",
    WARN: "utter_data_monthly_warn",
}


class MonthlyDialog(DialogDefaults):
    """The monthly messages; opened by hand it only shows the menu."""

    name = NAME
    system_kinds = frozenset(EVENT.values())

    def __init__(self, rules: RuleSettings) -> None:
        self.rules = rules

    # -- protocol: nothing to ask --------------------------------------------------------
    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn({}, done=True)

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        return Turn({}, done=True)

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn({}, done=True)

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn({}, (say("utter_cancelled"),), done=True)

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn({}, done=True)

    # -- the messages --------------------------------------------------------------------
    def system(self, ctx: Context, data: dict[str, Any], event: SystemEvent) -> Turn:
        kind = KIND_OF[event.kind]
        number = int(event.params.get("month", 0))
        done = (RecordMonthlyNotice(number, kind),)
        start = ctx.person.benefit_start if ctx.person else None
        months = benefit_months(start, self.rules) if start else ()
        if not 1 <= number <= len(months):
            return Turn(data, (), done)  # the benefit start changed meanwhile
        month = months[number - 1]
        if not ctx.today < month.end:
            return Turn(data, (), done)  # the month is over (a sweep long delayed)
        applications, evidence = ctx.ask_all(ApplicationsQuery(since=start), EvidenceQuery())
        apps = [CatalogueApplication(a.company, a.applied_on) for a in applications]
        pieces = [e.for_ledger() for e in evidence]
        progress = month_progress(apps, pieces, month, ctx.today, self.rules)
        if kind == START:
            lines = self._start(ctx, months, month, progress, apps, pieces)
        elif progress.met:
            return Turn(data, (), done)  # met since it was selected: nothing to nag about
        else:
            lines = self._behind(kind, month, progress)
        return Turn(data, (combine(*lines, Say("utter_monthly_open")),), done)

    def _start(
        self,
        ctx: Context,
        months: tuple[BenefitMonth, ...],
        month: BenefitMonth,
        progress: MonthProgress,
        apps: list[CatalogueApplication],
        pieces: list[Evidence],
    ) -> list[Say]:
        lines: list[Say] = []
        if month.number > 1:
            before = months[month.number - 2]
            ended = month_progress(apps, pieces, before, ctx.today, self.rules)
            if ended.met:
                lines.append(Say("utter_monthly_before_met", {"number": str(before.number)}))
            else:
                lines.append(Say("utter_monthly_before_not_met", {"number": str(before.number)}))
                lines.extend(self._route_line(r) for r in ended.routes)
        lines.append(Say("utter_monthly_start", {
            "number": str(month.number), "total": str(len(months)),
            "first": format_date(month.start), "last": format_date(month.last_day)}))  # fmt: skip
        lines.append(self._needs())
        if progress.met:
            lines.append(Say("utter_ev_met", {"number": str(month.number)}))
        elif any(r.done for r in progress.routes):
            lines.append(Say("utter_monthly_so_far"))
            lines.extend(self._route_line(r) for r in progress.routes)
        return lines

    def _behind(self, kind: str, month: BenefitMonth, progress: MonthProgress) -> list[Say]:
        params = {"number": str(month.number), "last": format_date(month.last_day),
                  "days": str(progress.days_left)}  # fmt: skip
        head = "utter_monthly_nudge" if kind == NUDGE else (
            "utter_monthly_warn_last_day" if progress.days_left <= 1 else "utter_monthly_warn"
        )  # fmt: skip
        return [
            Say(head, params),
            *(self._route_line(r) for r in progress.routes),
            self._missing(progress),
        ]

    def _needs(self) -> Say:
        rules = self.rules
        key = "utter_monthly_needs_cross" if rules.ledger_cross_route else "utter_monthly_needs"
        unit = "perusahaan" if rules.ledger_count == "companies" else "lamaran"
        return Say(key, {"companies": str(rules.ledger_min_companies), "unit": unit,
                         "invitations": str(rules.ledger_min_invitations)})  # fmt: skip

    def _route_line(self, route: RouteProgress) -> Say:
        return Say(
            ROUTE_LINE[(route.route, self.rules.ledger_count)],
            {"done": str(route.done), "required": str(route.required)},
        )

    @staticmethod
    def _missing(progress: MonthProgress) -> Say:
        missing = {r.route: str(r.missing) for r in progress.routes}
        if Route.APPLICATIONS in missing:
            return Say("utter_ev_missing_cross", {
                "applications": missing[Route.APPLICATIONS],
                "invitation": missing[Route.INVITATION]})  # fmt: skip
        return Say("utter_ev_missing", {
            "catalogue": missing[Route.CATALOGUE], "outside": missing[Route.OUTSIDE],
            "invitation": missing[Route.INVITATION]})  # fmt: skip

    # -- DATA ------------------------------------------------------------------------------
    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        """The monthly messages sent so far (the rows of ``monthly_notices``)."""
        sent = ctx.ask(MonthlyNoticesQuery())
        zone = ctx.now.tzinfo
        return [
            (DATA_LINE[n.kind],
             {"number": str(n.number), "date": format_date(n.queued_at.astimezone(zone).date())})
            for n in sent
            if n.kind in DATA_LINE
        ]  # fmt: skip


__all__ = ["EVENT", "NAME", "MonthlyDialog"]
