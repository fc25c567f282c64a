"""Konseling karir (Pedoman 3.6): register as a counselee, ask for counseling with a reason,
and see the request's status ("Konseling aktif").

1. **Daftar sebagai konseli.** The job-seeker registration (Data pencari kerja) counts: with
   it, one tap registers the person as a counselee; without it, they are sent to fill it in.
2. **Ajukan konseling** with a reason (10 to 500 characters). The counselors' group gets it
   as a card; a counselor approves it with a time or declines it with a reason.
3. **Konseling aktif**: waiting; scheduled (the date and time in the person's zone, the
   counselor) with "Mulai konseling" from a little before the time; in session; done, and
   that they may ask again; a time missed; a request declined, with its reason.

"Mulai konseling", the session itself and the counselor's actions are the takeover desk's
(bot/counseling/desk.py): they work from any step, not only from this dialog. When no
counselors work from a group (``COUNSELOR_CHAT_ID`` unset) the dialog says honestly that
counseling in this chat is not available yet.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core.types import Context, Input, OutboundMessage, Say, Turn, combine, say
from bot.counseling.config import CounselingSettings
from bot.counseling.hours import format_when
from bot.counseling.model import (
    ACTIVE,
    CANCELLED,
    DECLINED,
    DONE,
    MISSED,
    SCHEDULED,
    URGENT_KIND,
    WAITING,
    CancelRequest,
    CounselingQuery,
    CounselingRecord,
    RegisterCounselee,
    RequestCounseling,
    SessionView,
)
from bot.dialogs.base import DialogDefaults
from bot.records.model import RegistrationQuery
from bot.rules.parsing import format_date

MIN_REASON, MAX_REASON = 10, 500
HOME = "utter_ask_counseling_home"
REASON = "utter_ask_counseling_reason"
DATA_KEYS = {
    WAITING: "utter_data_counseling_waiting",
    SCHEDULED: "utter_data_counseling_scheduled",
    ACTIVE: "utter_data_counseling_active",
    DONE: "utter_data_counseling_done",
    DECLINED: "utter_data_counseling_declined",
    CANCELLED: "utter_data_counseling_cancelled",
    MISSED: "utter_data_counseling_missed",
}


class CounselingDialog(DialogDefaults):
    name = "counseling"

    def __init__(self, settings: CounselingSettings | None = None) -> None:
        self.settings = settings or CounselingSettings()

    # -- screens -------------------------------------------------------------------------
    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Register first, else "Konseling aktif"."""
        if not self.settings.staffed:
            return Turn({}, (say("utter_soon_ask_counseling"),), done=True)
        record, registration = ctx.ask_all(CounselingQuery(), RegistrationQuery())
        if not record.registered:
            if registration is None:
                return Turn({}, (say("utter_counseling_needs_jobseeker"),), done=True)
            return Turn({"step": "register"}, (say("utter_ask_counseling_register"),))
        return Turn({"step": "home"}, (self._home(ctx, record),))

    def _missed(self, ctx: Context, session: SessionView) -> bool:
        late = timedelta(minutes=self.settings.missed_after_minutes)
        return session.scheduled_at is not None and ctx.now > session.scheduled_at + late

    def _startable(self, ctx: Context, session: SessionView) -> bool:
        early = timedelta(minutes=self.settings.start_early_minutes)
        at = session.scheduled_at
        return at is not None and at - early <= ctx.now and not self._missed(ctx, session)

    def _home(self, ctx: Context, record: CounselingRecord, *first: Say) -> OutboundMessage:
        """Konseling aktif: the open request's status and what can be done now."""
        parts = list(first)
        current = record.current
        zone = ctx.now.tzinfo
        if current is None or (current.status == SCHEDULED and self._missed(ctx, current)):
            if current is not None and current.scheduled_at is not None:
                parts.append(Say("utter_counseling_status_missed",
                                 {"when": format_when(current.scheduled_at, zone)}))  # fmt: skip
            elif (last := record.sessions[0] if record.sessions else None) is not None:
                if last.status == DONE and last.ended_at is not None:
                    on = format_date(last.ended_at.astimezone(zone).date())
                    parts.append(Say("utter_counseling_status_done", {"date": on}))
                elif last.status == DECLINED:
                    why = last.decline_reason or "-"
                    parts.append(Say("utter_counseling_status_declined", {"why": why}))
            parts.append(Say(HOME))
            return combine(*parts)
        if current.status == WAITING:
            since = format_date(current.requested_at.astimezone(zone).date())
            parts.append(Say("utter_counseling_status_waiting", {"date": since}))
        elif current.status == SCHEDULED and current.scheduled_at is not None:
            when = format_when(current.scheduled_at, zone)
            params = {"when": when, "counselor": current.counselor or "-"}
            parts.append(Say("utter_counseling_status_scheduled", params))
            if self._startable(ctx, current):
                parts.append(Say("utter_counseling_start_now", {"session": str(current.id)}))
        else:
            parts.append(Say("utter_counseling_status_active", {"counselor": current.counselor}))
        parts.append(Say("utter_ask_counseling_pending"))
        return combine(*parts)

    # -- steps ---------------------------------------------------------------------------
    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        step = data.get("step")
        if not self.settings.staffed:
            return self.start(ctx, data)
        record = ctx.ask(CounselingQuery())
        if step == "register":
            if inp.choice == "counseling:register":
                registered = CounselingRecord(True, record.sessions, record.viewers)
                message = self._home(ctx, registered, Say("utter_counseling_registered"))
                return Turn({"step": "home"}, (message,), (RegisterCounselee(),))
            if inp.choice == "counseling:later" or inp.intent == "deny":
                return Turn({}, (say("utter_counseling_later"),), done=True)
            return Turn(data, (combine(Say("utter_invalid_choice"),
                                       Say("utter_ask_counseling_register")),))  # fmt: skip
        if step == "reason":
            return self._reason(ctx, data, inp, record)
        if step == "confirm_cancel":
            current = record.current
            if inp.choice == "counseling:cancel_yes" and current and current.status != ACTIVE:
                effect = CancelRequest(current.id)
                return Turn({}, (say("utter_counseling_request_cancelled"),), (effect,), True)
            if inp.choice in ("counseling:cancel_no", "counseling:cancel_yes"):
                return Turn({"step": "home"}, (self._home(ctx, record),))
            return Turn(data, (combine(Say("utter_invalid_choice"),
                                       Say("utter_ask_counseling_cancel")),))  # fmt: skip
        # home
        current = record.current
        if inp.choice == "counseling:ask":
            request = record.request  # (a PETUGAS request does not stand in the way)
            if request is not None and not self._missed(ctx, request):
                return Turn(data, (self._home(ctx, record, Say("utter_counseling_already_open")),))
            return Turn({"step": "reason"}, (say(REASON),))
        if inp.choice == "counseling:cancel" and current is not None:
            return Turn({"step": "confirm_cancel"}, (say("utter_ask_counseling_cancel"),))
        return Turn(data, (self._home(ctx, record, Say("utter_invalid_choice")),))

    def _reason(
        self, ctx: Context, data: dict[str, Any], inp: Input, record: CounselingRecord
    ) -> Turn:
        """Why they ask: in their own words, kept with the request and shown to counselors."""
        text = " ".join(inp.text.split())
        if inp.choice or inp.media or len(text) < MIN_REASON:
            return Turn(data, (combine(Say("utter_invalid_counseling_reason_short"),
                                       Say(REASON)),))  # fmt: skip
        if len(text) > MAX_REASON:
            params = {"maximum": str(MAX_REASON)}
            return Turn(data, (combine(Say("utter_invalid_counseling_reason_long", params),
                                       Say(REASON)),))  # fmt: skip
        request = record.request
        if request is not None and not self._missed(ctx, request):
            again = self._home(ctx, record, Say("utter_counseling_already_open"))
            return Turn({"step": "home"}, (again,))
        told = say("utter_counseling_requested")
        return Turn({}, (told,), (RequestCounseling(text),), done=True)

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        if data.get("step") in ("reason", "confirm_cancel"):
            return Turn({"step": "home"}, (self._home(ctx, ctx.ask(CounselingQuery())),))
        return Turn(
            data,
            (combine(Say("utter_back_at_start"), *self.reprompt(ctx, data).messages[0].parts),),
        )

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn({}, (), done=True)

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        step = data.get("step")
        if step == "reason":
            return Turn(data, (say(REASON),))
        if step == "confirm_cancel":
            return Turn(data, (say("utter_ask_counseling_cancel"),))
        return self.start(ctx, data)

    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        """DATA: the counselee registration, each request, and who of the counselors opened
        the record (and when, last)."""
        record = ctx.ask(CounselingQuery())
        zone = ctx.now.tzinfo
        lines: list[tuple[str, dict[str, str]]] = []
        if record.registered:
            lines.append(("utter_data_counseling_registered", {}))
        for session in record.sessions:
            on = format_date(session.requested_at.astimezone(zone).date())
            if session.kind == URGENT_KIND:
                lines.append(("utter_data_counseling_urgent", {"date": on}))
                continue
            lines.append((DATA_KEYS[session.status], {"date": on, "why": session.reason or "-"}))
        if record.viewers:
            seen = ", ".join(
                f"{name} ({format_date(at.astimezone(zone).date())})" for name, at in record.viewers
            )
            lines.append(("utter_data_counseling_viewers", {"names": seen}))
        if data.get("step") == "reason":
            lines.append(("utter_data_counseling_draft", {}))
        return lines
