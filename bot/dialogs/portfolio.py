"""Lamaran saya (issue 8, Pedoman 3.5 step 11): every application made through the assistant,
newest first, five to a page, each with its title, company, the day it was sent and its
status (terkirim, dilihat, diundang tes/wawancara, ditolak, diterima). Diagram: portfolio.mmd.

The applications are records (bot/records/applications.py), read with
``ctx.ask(ApplicationsQuery())``; the conversation keeps only the page shown. A status change
made by an operator (``jkp-bot applications status`` or ``import-status``,
bot/vacancies/status.py) reaches the person as a system event of kind
:data:`STATUS_CHANGED`, which this dialog turns into a message.
"""

from __future__ import annotations

from typing import Any

from bot.core.types import Context, Input, OutboundMessage, Say, SystemEvent, Turn, combine, say
from bot.dialogs.base import DialogDefaults
from bot.records.model import ApplicationRecord, ApplicationsQuery
from bot.rules.parsing import format_date

PAGE = 5
PAGE_PAYLOAD = "portfolio_page"  # portfolio_page:<n>, n from 0
STATUS_CHANGED = "application_status"
ITEM = {
    "sent": "utter_portfolio_item_sent",
    "seen": "utter_portfolio_item_seen",
    "invited": "utter_portfolio_item_invited",
    "rejected": "utter_portfolio_item_rejected",
    "accepted": "utter_portfolio_item_accepted",
}
NOTICE = {
    "sent": "utter_application_status_sent",
    "seen": "utter_application_status_seen",
    "invited": "utter_application_status_invited",
    "rejected": "utter_application_status_rejected",
    "accepted": "utter_application_status_accepted",
}


def pages_of(count: int) -> int:
    return max(1, -(-count // PAGE))


def _item(ctx: Context, number: int, app: ApplicationRecord, key: str = "") -> Say:
    zone = ctx.now.tzinfo
    changed = app.status_at.astimezone(zone).date() if zone else app.status_at.date()
    return Say(key or ITEM.get(app.status, ITEM["sent"]), {
        "number": str(number), "title": app.title or "-", "company": app.company or "-",
        "date": format_date(app.applied_on), "changed": format_date(changed)})  # fmt: skip


class PortfolioDialog(DialogDefaults):
    name = "portfolio"
    system_kinds = frozenset({STATUS_CHANGED})

    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        applications = ctx.ask(ApplicationsQuery())
        if not applications:
            return Turn({}, (say("utter_portfolio_empty"),), done=True)
        return self._page(ctx, applications, 0)

    def _page(
        self, ctx: Context, applications: tuple[ApplicationRecord, ...], page: int, *first: Say
    ) -> Turn:
        """One page; a list that fits on one page ends the dialog (the menu follows)."""
        pages = pages_of(len(applications))
        page = min(max(page, 0), pages - 1)
        shown = applications[page * PAGE : (page + 1) * PAGE]
        parts = [*first, Say("utter_portfolio_title", {"count": str(len(applications))})]
        parts.extend(_item(ctx, page * PAGE + i, a) for i, a in enumerate(shown, 1))
        if pages == 1:
            return Turn({}, (combine(*parts),), done=True)
        parts.append(Say("utter_portfolio_page", {"page": str(page + 1), "pages": str(pages)}))
        if page + 1 < pages:
            parts.append(Say("utter_portfolio_next", {"page": str(page + 1)}))
        if page > 0:
            parts.append(Say("utter_portfolio_previous", {"page": str(page - 1)}))
        return Turn({"step": "list", "page": page}, (combine(*parts),))

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        applications = ctx.ask(ApplicationsQuery())
        if not applications:
            return self.start(ctx, data)
        page = int(data.get("page") or 0)
        prefix, _, value = (inp.choice or "").partition(":")
        if prefix == PAGE_PAYLOAD:
            wanted = int(value) if value.isdigit() else -1
            if 0 <= wanted < pages_of(len(applications)):
                return self._page(ctx, applications, wanted)
            return self._page(ctx, applications, page, Say("utter_invalid_stale_button"))
        return self._page(ctx, applications, page, Say("utter_invalid_choice"))

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        page = int(data.get("page") or 0)
        applications = ctx.ask(ApplicationsQuery())
        if page > 0 and applications:
            return self._page(ctx, applications, page - 1)
        return Turn({}, (), done=True)  # before the first page: the menu

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn({}, (), done=True)

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        applications = ctx.ask(ApplicationsQuery())
        if not applications:
            return self.start(ctx, {})
        return self._page(ctx, applications, int(data.get("page") or 0))

    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        """DATA: every application with its status."""
        applications = ctx.ask(ApplicationsQuery())
        if not applications:
            return []
        lines = [("utter_data_applications", {"count": str(len(applications))})]
        for n, app in enumerate(applications, 1):
            item = _item(ctx, n, app)
            lines.append((item.key, dict(item.params)))
        return lines

    def system(self, ctx: Context, data: dict[str, Any], event: SystemEvent) -> Turn:
        """An application's status changed: say which one and what it means now."""
        wanted = int(event.params.get("application_id", 0))
        status = str(event.params.get("status", ""))
        app = next((a for a in ctx.ask(ApplicationsQuery()) if a.id == wanted), None)
        if app is None or status not in NOTICE:
            return Turn(data)  # deleted meanwhile: nothing to tell
        notice = _item(ctx, 1, app, NOTICE[status])
        message: OutboundMessage = combine(notice, Say("utter_portfolio_open"))
        return Turn(data, (message,))
