"""Syarat bulanan & bukti (Pedoman 2.2 angka 5, 3.7): this benefit month's progress, uploading
proof of an application made outside the catalogue or of an invitation to a test or
interview, and the history of past months. Diagram: evidence.mmd.

One menu item opens a small hub: the status of this month first (what a person most often
wants), then "Unggah bukti", "Riwayat", "Ubah tanggal mulai". The benefit start date is
asked once when unknown, confirmed with the month it makes today, and kept in the record
(:class:`SetBenefitStart`).

Uploading: kind → company → date of the act → photos. Each photo was already downloaded,
checked and stored by the channel before this turn (bot/evidence/intake.py); the dialog gets
an :class:`~bot.core.types.Upload` (a reference and hashes, or why it was refused), stages it
(:class:`StageUpload`) and collects it in the draft until "Selesai", which records the piece
(:class:`RecordEvidence`). The later photos of an album (same ``group``) are added without a
reply each. The same photo twice is refused (:class:`UploadSeenQuery`). On SMS photos cannot
come: the dialog says so and points to the ways that can.

The conversation keeps ``{"step", "draft": {"kind", "company", "day", "files": [{"ref",
"sha256", "group"}]}, "start": <date being confirmed>, "start_unknown": bool}``; recorded
evidence, applications and the benefit start are records, read with ``ctx.ask``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from bot.core.types import Context, Input, OutboundMessage, Say, SystemEvent, Turn, combine, say
from bot.dialogs.base import DialogDefaults
from bot.evidence.refusals import Refusal, refusal_key
from bot.records.evidence_model import (
    DiscardUploads,
    EvidenceItem,
    EvidenceQuery,
    RecordEvidence,
    StageUpload,
    UploadSeenQuery,
)
from bot.records.model import ApplicationsQuery, EligibilityQuery, SetBenefitStart
from bot.rules.config import RuleSettings
from bot.rules.ledger import (
    BenefitMonth,
    CatalogueApplication,
    Evidence,
    EvidenceKind,
    MonthProgress,
    Review,
    Route,
    RouteProgress,
    benefit_months,
    company_key,
    month_of,
    month_progress,
)
from bot.rules.parsing import ParseError, format_date, parse_text, read_date

NAME = "evidence"
START, START_OK, HUB, KIND, COMPANY, DAY, PHOTOS = (
    "start", "start_ok", "hub", "kind", "company", "day", "photos"
)  # fmt: skip
DRAFT_STEPS = (KIND, COMPANY, DAY, PHOTOS)
MAX_FILES = 10  # photos in one piece
MAX_COMPANY = 100  # characters
OLDEST_ACT_DAYS = 400  # an act older than this cannot count for any month of the benefit
START_DAYS_BACK, START_DAYS_AHEAD = 3 * 365, 62
NO_PHOTO_CHANNELS = frozenset({"sms"})  # plain SMS carries no pictures
REJECTED, ACCEPTED = "evidence_rejected", "evidence_accepted"

UPLOAD, HISTORY, STATUS, CHANGE_START, DONE = (
    "ev:upload", "ev:history", "ev:status", "ev:start", "ev:done"
)  # fmt: skip
KIND_CHOICES = {
    "ev_kind:application": EvidenceKind.APPLICATION,
    "ev_kind:invitation": EvidenceKind.INVITATION,
}
START_UNKNOWN, START_YES, START_NO = "ev_start:unknown", "ev_start_ok:yes", "ev_start_ok:no"
DAY_TODAY, DAY_YESTERDAY = "ev_day:today", "ev_day:yesterday"

ASK_DAY = {
    EvidenceKind.APPLICATION: "utter_ask_ev_day_application",
    EvidenceKind.INVITATION: "utter_ask_ev_day_invitation",
}
RECORDED = {
    EvidenceKind.APPLICATION: "utter_ev_recorded_application",
    EvidenceKind.INVITATION: "utter_ev_recorded_invitation",
}
NOTICE = {
    (REJECTED, EvidenceKind.APPLICATION): "utter_ev_rejected_application",
    (REJECTED, EvidenceKind.INVITATION): "utter_ev_rejected_invitation",
    (ACCEPTED, EvidenceKind.APPLICATION): "utter_ev_accepted_application",
    (ACCEPTED, EvidenceKind.INVITATION): "utter_ev_accepted_invitation",
}
ITEM = {
    (EvidenceKind.APPLICATION, Review.PENDING): "utter_ev_item_application_pending",
    (EvidenceKind.APPLICATION, Review.ACCEPTED): "utter_ev_item_application_accepted",
    (EvidenceKind.APPLICATION, Review.REJECTED): "utter_ev_item_application_rejected",
    (EvidenceKind.INVITATION, Review.PENDING): "utter_ev_item_invitation_pending",
    (EvidenceKind.INVITATION, Review.ACCEPTED): "utter_ev_item_invitation_accepted",
    (EvidenceKind.INVITATION, Review.REJECTED): "utter_ev_item_invitation_rejected",
}
ROUTE_LINE = {
    (Route.CATALOGUE, "companies"): "utter_ev_route_catalogue_companies",
    (Route.CATALOGUE, "applications"): "utter_ev_route_catalogue_applications",
    (Route.OUTSIDE, "companies"): "utter_ev_route_outside_companies",
    (Route.OUTSIDE, "applications"): "utter_ev_route_outside_applications",
    (Route.APPLICATIONS, "companies"): "utter_ev_route_applications_companies",
    (Route.APPLICATIONS, "applications"): "utter_ev_route_applications_applications",
    (Route.INVITATION, "companies"): "utter_ev_route_invitation",
    (Route.INVITATION, "applications"): "utter_ev_route_invitation",
}
HISTORY_MONTH = {
    "met": "utter_ev_history_month_met",
    "met_pending": "utter_ev_history_month_met_pending",
    "not_met": "utter_ev_history_month_not_met",
    "current": "utter_ev_history_month_current",
}
DAY_PROBLEMS = {
    "format": "utter_invalid_ev_day_format",
    "impossible": "utter_invalid_date_impossible",
    "exact": "utter_invalid_ev_day_exact",
    "future": "utter_invalid_ev_day_future",
    "old": "utter_invalid_ev_day_old",
}
START_PROBLEMS = {
    "format": "utter_invalid_ev_start_format",
    "impossible": "utter_invalid_date_impossible",
    "exact": "utter_invalid_ev_start_exact",
    "range": "utter_invalid_ev_start_range",
}


def accepts_upload(state: Mapping[str, Any] | None) -> bool:
    """Whether a stored conversation state (its JSON) waits for evidence photos: the channel
    downloads a photo only then (bot/evidence/intake.py)."""
    if not state or state.get("active") != NAME:
        return False
    data = (state.get("dialogs") or {}).get(NAME) or {}
    return bool(data.get("step") == PHOTOS)


def _day(value: date) -> str:
    return format_date(value)


class EvidenceDialog(DialogDefaults):
    """This month's progress, evidence uploads, and the history of past months."""

    name = NAME
    system_kinds = frozenset({REJECTED, ACCEPTED})

    def __init__(self, rules: RuleSettings) -> None:
        self.rules = rules

    # -- records ----------------------------------------------------------------------
    def _records(
        self, ctx: Context, start: date
    ) -> tuple[list[CatalogueApplication], tuple[EvidenceItem, ...]]:
        applications, evidence = ctx.ask_all(ApplicationsQuery(since=start), EvidenceQuery())
        apps = [CatalogueApplication(a.company, a.applied_on) for a in applications]
        return apps, evidence

    def _progress(
        self,
        ctx: Context,
        start: date,
        month: BenefitMonth,
        extra: Sequence[Evidence] = (),
    ) -> MonthProgress:
        apps, evidence = self._records(ctx, start)
        pieces = [e.for_ledger() for e in evidence] + list(extra)
        return month_progress(apps, pieces, month, ctx.today, self.rules)

    @staticmethod
    def _start(ctx: Context) -> date | None:
        return ctx.person.benefit_start if ctx.person else None

    # -- protocol ---------------------------------------------------------------------
    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Resume an unfinished upload, ask the benefit start once, or show this month."""
        if data.get("step") in DRAFT_STEPS and data.get("draft"):
            return Turn(data, (combine(Say("utter_ev_resume"), *self._prompt(ctx, data).parts),))
        if self._start(ctx) is None and not data.get("start_unknown"):
            d = self._kept(data, START)
            return Turn(d, (say("utter_ev_intro"), self._prompt(ctx, d)))
        return self._hub(ctx, self._kept(data, HUB), self._status(ctx, self._start(ctx)))

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn(data, (self._prompt(ctx, data),))

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        step = data.get("step")
        previous = {START_OK: START, COMPANY: KIND, DAY: COMPANY, PHOTOS: DAY}.get(str(step))
        if previous is None:
            return Turn(
                data, (combine(Say("utter_back_at_start"), *self._prompt(ctx, data).parts),)
            )
        d = {**data, "step": previous}
        return Turn(d, (combine(Say("utter_back_ok"), *self._prompt(ctx, d).parts),))

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Drop the upload in progress (its photos are deleted); the rest is kept."""
        refs = tuple(f["ref"] for f in (data.get("draft") or {}).get("files") or ())
        effects = (DiscardUploads(refs),) if refs else ()
        kept = {"start_unknown": True} if data.get("start_unknown") else {}
        key = "utter_ev_cancelled" if data.get("step") in DRAFT_STEPS else "utter_cancelled"
        return Turn(kept, (say(key),), effects, done=True)

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        step = data.get("step")
        if step == START:
            return self._on_start(ctx, data, inp)
        if step == START_OK:
            return self._on_start_ok(ctx, data, inp)
        if step == KIND:
            return self._on_kind(ctx, data, inp)
        if step == COMPANY:
            return self._on_company(ctx, data, inp)
        if step == DAY:
            return self._on_day(ctx, data, inp)
        if step == PHOTOS:
            return self._on_photo(ctx, data, inp)
        return self._on_hub(ctx, self._kept(data, HUB), inp)

    # -- the benefit start --------------------------------------------------------------
    def _on_start(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        if inp.choice == START_UNKNOWN or inp.intent == "dont_know":
            d = {**self._kept(data, HUB), "start_unknown": True}
            return self._hub(ctx, d, self._status(ctx, self._start(ctx)))
        if inp.media or inp.choice:
            return self._again(ctx, data, "utter_invalid_stale_button" if inp.choice else
                               "utter_invalid_media")  # fmt: skip
        read = _read_start(inp.text, ctx.today)
        if isinstance(read, str):
            return self._again(ctx, data, START_PROBLEMS[read])
        checked = ctx.ask(EligibilityQuery())
        phk = checked.answers.get("phk_date") if checked else None
        if isinstance(phk, str) and read < date.fromisoformat(phk):
            return self._again(ctx, data, "utter_invalid_ev_start_before_phk")  # (PHK first)
        d = {**data, "step": START_OK, "start": read.isoformat()}
        return Turn(d, (self._prompt(ctx, d),))

    def _on_start_ok(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        if inp.choice == START_NO or inp.intent == "deny":
            d = {**data, "step": START}
            return Turn(d, (self._prompt(ctx, d),))
        if inp.choice == START_YES or inp.intent == "affirm":
            start = date.fromisoformat(data["start"])
            d = self._kept({k: v for k, v in data.items() if k != "start_unknown"}, HUB)
            turn = self._hub(
                ctx, d, self._status(ctx, start), Say("utter_ev_start_saved"), start_known=True
            )
            return replace(turn, effects=(SetBenefitStart(start),))
        return self._again(ctx, data, "utter_invalid_choice")

    # -- the hub ----------------------------------------------------------------------
    def _on_hub(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        start = self._start(ctx)
        if inp.choice == UPLOAD:
            if ctx.channel in NO_PHOTO_CHANNELS:
                return self._hub(ctx, data, [Say("utter_ev_no_photos_sms")])
            d = {**data, "step": KIND, "draft": {"files": []}}
            return Turn(d, (self._prompt(ctx, d),))
        if inp.choice == HISTORY:
            return self._hub(ctx, data, self._history(ctx, start))
        if inp.choice == STATUS:
            return self._hub(ctx, data, self._status(ctx, start))
        if inp.choice == CHANGE_START:
            d = {**data, "step": START}
            return Turn(d, (self._prompt(ctx, d),))
        problem = "utter_invalid_media" if inp.media else (
            "utter_invalid_stale_button" if inp.choice else "utter_invalid_choice"
        )  # fmt: skip
        return self._hub(ctx, data, [Say(problem)])

    def _hub(
        self,
        ctx: Context,
        data: dict[str, Any],
        lines: Iterable[Say],
        *before: Say,
        start_known: bool | None = None,
    ) -> Turn:
        return Turn(data, (combine(*before, *lines, self._hub_menu(ctx, start_known)),))

    def _hub_menu(self, ctx: Context, start_known: bool | None = None) -> Say:
        known = self._start(ctx) is not None if start_known is None else start_known
        return Say("utter_ev_hub" if known else "utter_ev_hub_no_start")

    # -- uploading --------------------------------------------------------------------
    def _on_kind(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        kind = KIND_CHOICES.get(inp.choice or "")
        if kind is None:
            return self._again(ctx, data, _problem(inp))
        d = {**data, "step": COMPANY, "draft": {**data["draft"], "kind": kind.value}}
        return Turn(d, (self._prompt(ctx, d),))

    def _on_company(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        if inp.media or inp.choice:
            return self._again(ctx, data, _problem(inp))
        name = parse_text(inp.text, longest=MAX_COMPANY)
        if isinstance(name, ParseError):
            key = "utter_invalid_ev_company_long" if name.reason == "range" else (
                "utter_invalid_ev_company"
            )  # fmt: skip
            return self._again(ctx, data, key)
        if not company_key(name):
            return self._again(ctx, data, "utter_invalid_ev_company")
        d = {**data, "step": DAY, "draft": {**data["draft"], "company": " ".join(name.split())}}
        return Turn(d, (self._prompt(ctx, d),))

    def _on_day(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        picked = {DAY_TODAY: ctx.today, DAY_YESTERDAY: ctx.today - timedelta(days=1)}
        if inp.choice in picked:
            value = picked[inp.choice]
        elif inp.media or inp.choice:
            return self._again(ctx, data, _problem(inp))
        else:
            read = _read_act_day(inp.text, ctx.today)
            if isinstance(read, str):
                return self._again(ctx, data, DAY_PROBLEMS[read])
            value = read
        start = self._start(ctx)
        if start is not None and month_of(start, value, self.rules) is None:
            # Said now, not after the photos: a proof outside the benefit months counts for
            # no month (Pedoman 2.2) and is not kept.
            return self._again(ctx, data, "utter_invalid_ev_day_outside")
        d = {**data, "step": PHOTOS, "draft": {**data["draft"], "day": value.isoformat()}}
        return Turn(d, (self._prompt(ctx, d),))

    def _on_photo(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        draft = data["draft"]
        files: list[dict[str, str]] = list(draft.get("files") or [])
        if inp.choice == DONE or inp.intent == "enough":
            if not files:
                return self._again(ctx, data, "utter_ev_no_photo_yet")
            return self._record(ctx, data)
        upload = inp.upload
        if upload is None:
            key = "utter_ev_need_photo" if inp.media or not inp.choice else (
                "utter_invalid_stale_button"
            )  # fmt: skip
            return self._again(ctx, data, key)
        if upload.refused:
            return self._again(ctx, data, refusal_key(upload.refused))
        if any(f["sha256"] == upload.sha256 for f in files) or ctx.ask(
            UploadSeenQuery(upload.sha256)
        ):
            return self._again(ctx, data, refusal_key(Refusal.DUPLICATE))
        if len(files) >= MAX_FILES:
            return self._again(ctx, data, "utter_ev_too_many_photos")
        album = bool(upload.group) and any(f.get("group") == upload.group for f in files)
        files.append({"ref": upload.ref, "sha256": upload.sha256, "group": upload.group})
        d = {**data, "draft": {**draft, "files": files}}
        # The later photos of an album are taken in silence: one reply per album.
        messages = () if album else (self._prompt(ctx, d, received=True),)
        return Turn(d, messages, (StageUpload(upload),))

    def _record(self, ctx: Context, data: dict[str, Any]) -> Turn:
        draft = data["draft"]
        kind = EvidenceKind(draft["kind"])
        day = date.fromisoformat(draft["day"])
        files = draft["files"]
        effect = RecordEvidence(kind, draft["company"], day, tuple(f["ref"] for f in files))
        lines: list[Say] = [
            Say(RECORDED[kind], {"company": draft["company"], "day": _day(day),
                                 "count": str(len(files))})
        ]  # fmt: skip
        start = self._start(ctx)
        if start is None:
            lines.append(Say("utter_ev_recorded_no_start"))
        elif (month := month_of(start, day, self.rules)) is None:
            lines.append(Say("utter_ev_outside_months"))
        else:
            before = self._progress(ctx, start, month)
            after = self._progress(ctx, start, month, [Evidence(kind, draft["company"], day)])
            lines.extend(self._counted(after, kind))
            route = _route_of(after, kind)
            if (
                self.rules.ledger_count == "companies"
                and route.done == _route_of(before, kind).done
                and route.required > 1
            ):
                lines.append(Say("utter_ev_same_company", {"company": draft["company"]}))
        d = self._kept(data, HUB)
        return replace(self._hub(ctx, d, lines), effects=(effect,))

    def _counted(self, progress: MonthProgress, kind: EvidenceKind) -> list[Say]:
        """The month's line for the route of ``kind`` and whether the month is met."""
        return [
            Say("utter_ev_counted_in", {"number": str(progress.month.number)}),
            self._route_line(_route_of(progress, kind)),
            self._verdict(progress),
        ]

    # -- what is shown ----------------------------------------------------------------
    def _prompt(
        self, ctx: Context, data: dict[str, Any], received: bool = False
    ) -> OutboundMessage:
        step = data.get("step")
        draft = data.get("draft") or {}
        if step == START:
            return say("utter_ask_ev_start")
        if step == START_OK:
            start = date.fromisoformat(data["start"])
            month = month_of(start, ctx.today, self.rules)
            params = {"start": _day(start)}
            if month is not None:
                return say("utter_ask_ev_start_ok", number=str(month.number), first=_day(
                    month.start), last=_day(month.last_day), **params)  # fmt: skip
            if ctx.today < start:
                return say("utter_ask_ev_start_ok_before", **params)
            last = benefit_months(start, self.rules)[-1].last_day
            return say("utter_ask_ev_start_ok_after", last=_day(last), **params)
        if step == KIND:
            return say("utter_ask_ev_kind")
        if step == COMPANY:
            return say("utter_ask_ev_company")
        if step == DAY:
            return say(ASK_DAY[EvidenceKind(draft["kind"])])
        if step == PHOTOS:
            files = draft.get("files") or []
            if not files:
                what = Say(
                    RECORDED_HEAD[EvidenceKind(draft["kind"])],
                    {"company": draft["company"], "day": _day(date.fromisoformat(draft["day"]))},
                )
                return combine(what, Say("utter_ask_ev_photos"))
            key = "utter_ev_photo_received" if received else "utter_ask_ev_more_photos"
            return say(key, count=str(len(files)))
        return combine(self._hub_menu(ctx))

    def _again(self, ctx: Context, data: dict[str, Any], problem: str) -> Turn:
        return Turn(data, (combine(Say(problem), *self._prompt(ctx, data).parts),))

    @staticmethod
    def _kept(data: Mapping[str, Any], step: str) -> dict[str, Any]:
        """Only what outlives an upload: the step and whether the start is unknown."""
        kept: dict[str, Any] = {"step": step}
        if data.get("start_unknown"):
            kept["start_unknown"] = True
        return kept

    def _status(self, ctx: Context, start: date | None) -> list[Say]:
        """This benefit month: which month, each route, met or what is missing, days left."""
        if start is None:
            return [Say("utter_ev_no_start")]
        months = benefit_months(start, self.rules)
        if ctx.today < months[0].start:
            return [Say("utter_ev_not_started", {"first": _day(months[0].start)})]
        month = month_of(start, ctx.today, self.rules)
        if month is None:
            return [Say("utter_ev_finished", {"last": _day(months[-1].last_day)})]
        progress = self._progress(ctx, start, month)
        lines = [
            Say("utter_ev_month", {"number": str(month.number), "total": str(len(months)),
                                   "first": _day(month.start), "last": _day(month.last_day)}),
            *(self._route_line(r) for r in progress.routes),
            self._verdict(progress),
        ]  # fmt: skip
        if progress.pending:
            key = "utter_ev_pending" if self.rules.ledger_count_pending else (
                "utter_ev_pending_not_counted"
            )  # fmt: skip
            lines.append(Say(key, {"count": str(progress.pending)}))
        if progress.rejected:
            lines.append(Say("utter_ev_rejected_count", {"count": str(progress.rejected)}))
        if progress.days_left <= 1:
            lines.append(Say("utter_ev_last_day"))
        else:
            lines.append(Say("utter_ev_days_left", {
                "days": str(progress.days_left), "last": _day(month.last_day),
                "workdays": str(progress.working_days_left)}))  # fmt: skip
        if progress.pays_month is None:
            lines.append(Say("utter_ev_pays_last"))
        else:
            lines.append(Say("utter_ev_pays", {"next": str(progress.pays_month)}))
        lines.append(Say("utter_ev_points", {"points": str(progress.mission_points)}))
        return lines

    def _route_line(self, route: RouteProgress) -> Say:
        return Say(
            ROUTE_LINE[(route.route, self.rules.ledger_count)],
            {"done": str(route.done), "required": str(route.required)},
        )

    def _verdict(self, progress: MonthProgress) -> Say:
        if progress.met:
            key = "utter_ev_met" if progress.met_confirmed else "utter_ev_met_pending"
            return Say(key, {"number": str(progress.month.number)})
        missing = {r.route: str(r.missing) for r in progress.routes}
        if Route.APPLICATIONS in missing:
            return Say("utter_ev_missing_cross", {
                "applications": missing[Route.APPLICATIONS],
                "invitation": missing[Route.INVITATION]})  # fmt: skip
        return Say("utter_ev_missing", {
            "catalogue": missing[Route.CATALOGUE], "outside": missing[Route.OUTSIDE],
            "invitation": missing[Route.INVITATION]})  # fmt: skip

    def _history(self, ctx: Context, start: date | None) -> list[Say]:
        """Every month so far, met or not, with the evidence behind it (newest first)."""
        if start is None:
            evidence = ctx.ask(EvidenceQuery())
            if not evidence:
                return [Say("utter_ev_history_none")]
            return [Say("utter_ev_history_no_start"), *(_item_line(e) for e in evidence)]
        apps, evidence = self._records(ctx, start)
        pieces = [e.for_ledger() for e in evidence]
        lines: list[Say] = [Say("utter_ev_history_title")]
        shown: set[int] = set()
        for month in reversed(benefit_months(start, self.rules)):
            if month.start > ctx.today:
                continue
            progress = month_progress(apps, pieces, month, ctx.today, self.rules)
            if ctx.today in month:
                state = "current"
            elif progress.met:
                state = "met" if progress.met_confirmed else "met_pending"
            else:
                state = "not_met"
            lines.append(Say(HISTORY_MONTH[state], {
                "number": str(month.number), "first": _day(month.start),
                "last": _day(month.last_day)}))  # fmt: skip
            count = sum(1 for a in apps if a.day in month)
            if count:
                lines.append(Say("utter_ev_history_catalogue", {"count": str(count)}))
            items = [e for e in evidence if e.day in month]
            shown.update(e.id for e in items)
            lines.extend(_item_line(e) for e in items)
            if not count and not items:
                lines.append(Say("utter_ev_history_empty"))
        rest = [e for e in evidence if e.id not in shown]
        if rest:
            lines.append(Say("utter_ev_history_outside"))
            lines.extend(_item_line(e) for e in rest)
        if len(lines) == 1:
            return [Say("utter_ev_history_none")]
        return lines

    # -- system events ------------------------------------------------------------------
    def system(self, ctx: Context, data: dict[str, Any], event: SystemEvent) -> Turn:
        """A piece was reviewed: say so (why, when rejected) and how the month stands now."""
        evidence_id = int(event.params.get("evidence_id", 0))
        item = next((e for e in ctx.ask(EvidenceQuery()) if e.id == evidence_id), None)
        if item is None or (event.kind, item.kind) not in NOTICE:
            return Turn(data)  # deleted meanwhile: nothing to tell
        lines = [
            Say(NOTICE[(event.kind, item.kind)], {
                "company": item.company, "day": _day(item.day), "why": item.reason})
        ]  # fmt: skip
        start = self._start(ctx)
        month = month_of(start, item.day, self.rules) if start else None
        if start is not None and month is not None:
            lines.extend(self._counted(self._progress(ctx, start, month), item.kind))
        lines.append(Say("utter_ev_open"))
        return Turn(data, (combine(*lines),))

    # -- DATA -------------------------------------------------------------------------
    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        """The benefit start, the recorded evidence and an upload in progress."""
        lines: list[tuple[str, dict[str, str]]] = []
        if (start := self._start(ctx)) is not None:
            lines.append(("utter_data_ev_start", {"date": _day(start)}))
        evidence = ctx.ask(EvidenceQuery())
        if evidence:
            lines.append(("utter_data_ev_pieces", {
                "count": str(len(evidence)), "photos": str(sum(e.files for e in evidence)),
                "pending": str(sum(e.status is Review.PENDING for e in evidence)),
                "accepted": str(sum(e.status is Review.ACCEPTED for e in evidence)),
                "rejected": str(sum(e.status is Review.REJECTED for e in evidence))}))  # fmt: skip
            lines.extend((s.key, dict(s.params)) for s in (_item_line(e) for e in evidence))
        draft = data.get("draft") or {}
        if data.get("step") in DRAFT_STEPS and draft:
            photos = str(len(draft.get("files") or []))
            lines.append(("utter_data_ev_draft", {"photos": photos}))
        return lines


RECORDED_HEAD = {
    EvidenceKind.APPLICATION: "utter_ev_draft_application",
    EvidenceKind.INVITATION: "utter_ev_draft_invitation",
}


def _route_of(progress: MonthProgress, kind: EvidenceKind) -> RouteProgress:
    if kind is EvidenceKind.INVITATION:
        return progress.route(Route.INVITATION)
    routes = {r.route for r in progress.routes}
    return progress.route(Route.OUTSIDE if Route.OUTSIDE in routes else Route.APPLICATIONS)


def _item_line(item: EvidenceItem) -> Say:
    return Say(ITEM[(item.kind, item.status)], {
        "day": _day(item.day), "company": item.company, "why": item.reason})  # fmt: skip


def _read_start(text: str, today: date) -> date | str:
    """The benefit start typed, or what is wrong with it (a key of ``START_PROBLEMS``)."""
    reading = read_date(text, today)
    if isinstance(reading, ParseError):
        return "impossible" if reading.reason == "impossible" else "format"
    if not reading.exact:
        return "exact"
    earliest = today - timedelta(days=START_DAYS_BACK)
    if not earliest <= reading.value <= today + timedelta(days=START_DAYS_AHEAD):
        return "range"
    return reading.value


def _read_act_day(text: str, today: date) -> date | str:
    """The date of an application or invitation, or what is wrong with it (``DAY_PROBLEMS``)."""
    reading = read_date(text, today)
    if isinstance(reading, ParseError):
        return "impossible" if reading.reason == "impossible" else "format"
    if reading.in_future:
        return "future"
    if not reading.exact:
        return "exact"
    if reading.value < today - timedelta(days=OLDEST_ACT_DAYS):
        return "old"
    return reading.value


def _problem(inp: Input) -> str:
    if inp.media:
        return "utter_invalid_media"
    return "utter_invalid_stale_button" if inp.choice else "utter_invalid_choice"


__all__ = ["EvidenceDialog", "accepts_upload"]
