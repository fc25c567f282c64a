"""Lapor diterima kerja (Pedoman 3.7): a person who was hired reports it, within 7 working
days of being hired (bot/rules/workdays.py). Diagram: placement.mmd.

hire date → (the deadline is shown, the report is *started*: reminders run from now on)
→ company → position → optionally one photo of the offer letter or contract → confirm →
*reported* (the reminders stop). The hire date is asked first because it is what makes the
deadline, the one thing a person needs to know at once; said in free text ("saya sudah
diterima kerja tgl 3") it is read back for confirmation.

The photo is received by the channel before the turn, as for evidence
(bot/evidence/intake.py asks :func:`accepts_upload`), staged with :class:`StageUpload` and
named in the report. On SMS no photo can come: the step is skipped.

The conversation keeps ``{"step", "hired_on", "deadline", "company", "position", "photo":
{"ref", "sha256"}}`` until the report is finished; the started and finished reports are
records (:class:`PlacementsQuery`). A reminder (system event ``placement.remind``, written by
scheduler/placement.py) says how long is left, with a button that opens this dialog where
it stopped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from bot.core.types import Context, Input, OutboundMessage, Say, SystemEvent, Turn, combine, say
from bot.dialogs.base import DialogDefaults
from bot.dialogs.questions import Problem, Question, read_answer
from bot.evidence.refusals import Refusal, refusal_key
from bot.records.evidence_model import DiscardUploads, StageUpload, UploadSeenQuery
from bot.records.placement_model import (
    REMIND,
    REPORTED,
    STARTED,
    DropPlacement,
    PlacementRecord,
    PlacementsQuery,
    ReportPlacement,
    StartPlacement,
)
from bot.rules.config import RuleSettings
from bot.rules.parsing import format_date
from bot.rules.workdays import placement_deadline, working_days_between

NAME = "placement"
HIRED, COMPANY, POSITION, PHOTO, CONFIRM = (
    "hired_on", "placement_company", "placement_position", "placement_photo", "placement_confirm"
)  # fmt: skip
STEPS = (HIRED, COMPANY, POSITION, PHOTO, CONFIRM)
HIRED_Q = Question(HIRED, "date", days_back=366, days_ahead=92, question_future=True)
COMPANY_Q = Question(COMPANY, "text", maximum=100)
POSITION_Q = Question(POSITION, "text", maximum=100)
# The questions' keys, written out (the domain tests look for literal keys).
ASK = {HIRED: "utter_ask_hired_on", COMPANY: "utter_ask_placement_company",
       POSITION: "utter_ask_placement_position", PHOTO: "utter_ask_placement_photo"}  # fmt: skip
SKIP_PHOTO = "placement_photo:skip"
YES, EDIT = "placement_confirm:yes", "placement_confirm:edit"
NO_PHOTO_CHANNELS = frozenset({"sms"})  # plain SMS carries no pictures
BACK = {COMPANY: HIRED, POSITION: COMPANY, PHOTO: POSITION, CONFIRM: PHOTO}


def accepts_upload(state: Mapping[str, Any] | None) -> bool:
    """Whether a stored conversation state (its JSON) waits for the photo of an offer letter
    or contract: the channel downloads a photo only then (bot/evidence/intake.py)."""
    if not state or state.get("active") != NAME:
        return False
    data = (state.get("dialogs") or {}).get(NAME) or {}
    return bool(data.get("step") == PHOTO)


def _day(value: date) -> str:
    return format_date(value)


class PlacementDialog(DialogDefaults):
    """The placement report and what its deadline reminders say."""

    name = NAME
    system_kinds = frozenset({REMIND})

    def __init__(self, rules: RuleSettings) -> None:
        self.rules = rules

    # -- protocol ---------------------------------------------------------------------
    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Resume where it stopped (here, or from the started record), or ask the hire date."""
        if data.get("step") in STEPS:
            return Turn(data, (combine(Say("utter_placement_resume"),
                                       *self._prompt(ctx, data).parts),))  # fmt: skip
        records = ctx.ask(PlacementsQuery())
        started = _started(records)
        if started is not None:  # started elsewhere (another channel) or the state was reset
            d = {"step": COMPANY, "hired_on": started.hired_on.isoformat(),
                 "deadline": started.deadline.isoformat()}  # fmt: skip
            return Turn(d, (combine(Say("utter_placement_resume"), self._deadline_line(ctx, d),
                                    Say(ASK[COMPANY])),))  # fmt: skip
        lines: list[Say] = [Say("utter_placement_intro", {
            "days": str(self.rules.placement_report_working_days)})]  # fmt: skip
        last = next((r for r in records if r.status == REPORTED), None)
        if last is not None and last.reported_at is not None:
            lines.append(Say("utter_placement_last_report", {
                "position": last.position, "company": last.company,
                "hired": _day(last.hired_on),
                "reported": _day(last.reported_at.astimezone(ctx.now.tzinfo).date())}))  # fmt: skip
        d = {"step": HIRED}
        return Turn(d, (combine(*lines, Say(ASK[HIRED])),))

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        if data.get("step") not in STEPS:
            return self.start(ctx, data)
        return Turn(data, (self._prompt(ctx, data),))

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        previous = BACK.get(str(data.get("step")))
        if previous == PHOTO and ctx.channel in NO_PHOTO_CHANNELS:
            previous = POSITION
        if previous is None:
            return Turn(
                data, (combine(Say("utter_back_at_start"), *self._prompt(ctx, data).parts),)
            )
        d = {**data, "step": previous}
        return Turn(d, (combine(Say("utter_back_ok"), *self._prompt(ctx, d).parts),))

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """BATAL: the report in progress is dropped, with its photo and its reminders."""
        photo = data.get("photo") or {}
        effects: tuple[Any, ...] = (DropPlacement(),)
        if photo.get("ref"):
            effects = (DiscardUploads((str(photo["ref"]),)), *effects)
        return Turn({}, (say("utter_placement_cancelled"),), effects, done=True)

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        step = data.get("step")
        if step == HIRED:
            return self._on_hired(ctx, data, inp)
        if step == COMPANY:
            return self._on_text(ctx, data, inp, COMPANY_Q, "company", POSITION)
        if step == POSITION:
            after = CONFIRM if ctx.channel in NO_PHOTO_CHANNELS else PHOTO
            return self._on_text(ctx, data, inp, POSITION_Q, "position", after)
        if step == PHOTO:
            return self._on_photo(ctx, data, inp)
        if step == CONFIRM:
            return self._on_confirm(ctx, data, inp)
        return self.start(ctx, {})

    # -- steps ------------------------------------------------------------------------
    def _on_hired(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        """The hire date: the deadline is shown and the report is started."""
        answer = read_answer(HIRED_Q, inp, ctx.today)
        if isinstance(answer, Problem):
            return self._again(ctx, data, Say(answer.key, answer.params))
        hired = date.fromisoformat(str(answer))
        deadline = placement_deadline(hired, self.rules)
        d = {**data, "step": COMPANY, "hired_on": hired.isoformat(),
             "deadline": deadline.isoformat()}  # fmt: skip
        message = combine(self._deadline_line(ctx, d), *self._prompt(ctx, d).parts)
        return Turn(d, (message,), (StartPlacement(hired, deadline, ctx.today),))

    def _on_text(
        self, ctx: Context, data: dict[str, Any], inp: Input, q: Question, field: str, after: str
    ) -> Turn:
        """The company or the position, in the person's words."""
        answer = read_answer(q, inp, ctx.today)
        if isinstance(answer, Problem):
            return self._again(ctx, data, Say(answer.key, answer.params))
        d = {**data, "step": after, field: " ".join(str(answer).split())}
        return Turn(d, (self._prompt(ctx, d),))

    def _on_photo(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        """One photo of the offer letter or contract, or "Lewati"."""
        if inp.choice == SKIP_PHOTO or inp.intent in ("deny", "enough"):
            d = {**data, "step": CONFIRM}
            return Turn(d, (self._prompt(ctx, d),))
        upload = inp.upload
        if upload is None:
            key = "utter_invalid_placement_photo" if inp.media or not inp.choice else (
                "utter_invalid_stale_button"
            )  # fmt: skip
            return self._again(ctx, data, Say(key))
        if upload.refused:
            return self._again(ctx, data, Say(refusal_key(upload.refused)))
        old = data.get("photo") or {}
        if old.get("sha256") == upload.sha256 or ctx.ask(UploadSeenQuery(upload.sha256)):
            return self._again(ctx, data, Say(refusal_key(Refusal.DUPLICATE)))
        effects: tuple[Any, ...] = (StageUpload(upload),)
        if old.get("ref"):  # a second photo replaces the first
            effects = (DiscardUploads((str(old["ref"]),)), *effects)
        d = {**data, "step": CONFIRM, "photo": {"ref": upload.ref, "sha256": upload.sha256}}
        message = combine(Say("utter_placement_photo_received"), *self._prompt(ctx, d).parts)
        return Turn(d, (message,), effects)

    def _on_confirm(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        if inp.choice == EDIT:
            d = {**data, "step": HIRED}
            return Turn(d, (self._prompt(ctx, d),))
        if inp.choice != YES and inp.intent != "affirm":
            problem = "utter_invalid_stale_button" if inp.choice else "utter_invalid_choice"
            return self._again(ctx, data, Say("utter_invalid_media" if inp.media else problem))
        hired = date.fromisoformat(data["hired_on"])
        deadline = date.fromisoformat(data["deadline"])
        ref = str((data.get("photo") or {}).get("ref") or "")
        effect = ReportPlacement(data["company"], data["position"], hired, deadline, ref)
        told = say("utter_placement_reported", company=data["company"], position=data["position"],
                   hired=_day(hired), deadline=_day(deadline))  # fmt: skip
        return Turn({}, (told,), (effect,), done=True)

    # -- what is shown ----------------------------------------------------------------
    def _deadline_line(self, ctx: Context, data: Mapping[str, Any]) -> Say:
        """The deadline of the hire date in ``data``: the date, the 7 working days, how many
        are left (or that it is today, or has passed)."""
        hired = date.fromisoformat(data["hired_on"])
        deadline = date.fromisoformat(data["deadline"])
        params = {"hired": _day(hired), "deadline": _day(deadline),
                  "days": str(self.rules.placement_report_working_days)}  # fmt: skip
        if ctx.today > deadline:
            return Say("utter_placement_deadline_passed", params)
        if ctx.today == deadline:
            return Say("utter_placement_deadline_today", params)
        left = working_days_between(max(ctx.today, hired) + timedelta(days=1),
                                    deadline + timedelta(days=1),
                                    cuti_bersama=self.rules.cuti_bersama_non_working)  # fmt: skip
        return Say("utter_placement_deadline", {**params, "left": str(left)})

    def _prompt(self, ctx: Context, data: Mapping[str, Any]) -> OutboundMessage:
        step = data.get("step")
        if step in ASK:
            return say(ASK[str(step)])
        photo = "utter_placement_summary_photo" if (data.get("photo") or {}).get("ref") else (
            "utter_placement_summary_no_photo"
        )  # fmt: skip
        summary = {
            "company": str(data.get("company", "")),
            "position": str(data.get("position", "")),
            "hired": _day(date.fromisoformat(data["hired_on"])),
            "deadline": _day(date.fromisoformat(data["deadline"])),
        }
        return combine(
            Say("utter_placement_summary", summary), Say(photo), Say("utter_ask_placement_confirm")
        )

    def _again(self, ctx: Context, data: dict[str, Any], problem: Say) -> Turn:
        return Turn(data, (combine(problem, *self._prompt(ctx, data).parts),))

    # -- the deadline reminder --------------------------------------------------------------
    def system(self, ctx: Context, data: dict[str, Any], event: SystemEvent) -> Turn:
        """A reminder: how long is left, with a button back into the report. Nothing when
        the report was finished, dropped or moved to another hire date meanwhile."""
        started = _started(ctx.ask(PlacementsQuery()))
        deadline = str(event.params.get("deadline", ""))
        if started is None or started.deadline.isoformat() != deadline:
            return Turn(data)
        params = {"deadline": _day(started.deadline), "hired": _day(started.hired_on),
                  "left": str(event.params.get("offset", ""))}  # fmt: skip
        if ctx.today >= started.deadline:
            return Turn(data, (say("utter_placement_reminder_today", **params),))
        return Turn(data, (say("utter_placement_reminder", **params),))

    # -- DATA -------------------------------------------------------------------------
    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        """Every report (finished or started) and the answers of one in progress."""
        zone = ctx.now.tzinfo
        lines: list[tuple[str, dict[str, str]]] = []
        for r in ctx.ask(PlacementsQuery()):
            params = {"hired": _day(r.hired_on), "deadline": _day(r.deadline)}
            if r.status == REPORTED and r.reported_at is not None:
                lines.append(("utter_data_placement_reported", {
                    **params, "company": r.company, "position": r.position,
                    "photos": str(r.photos),
                    "reported": _day(r.reported_at.astimezone(zone).date())}))  # fmt: skip
            elif r.status == STARTED:
                lines.append(("utter_data_placement_started", params))
        if data.get("step") in STEPS and (data.get("company") or data.get("position")):
            lines.append(("utter_data_placement_draft", {
                "company": str(data.get("company") or "-"),
                "position": str(data.get("position") or "-"),
                "photos": "1" if (data.get("photo") or {}).get("ref") else "0"}))  # fmt: skip
        return lines


def _started(records: tuple[PlacementRecord, ...]) -> PlacementRecord | None:
    return next((r for r in records if r.status == STARTED), None)


__all__ = ["PlacementDialog", "accepts_upload"]
