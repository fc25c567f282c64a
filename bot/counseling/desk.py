"""The counselor takeover, decided in one place before any dialog (pure).

The router (bot/core/conversation.py) asks the desk first, right after the consent gate:

- **In session** (``UserFlags.in_session``, brought by the engine's snapshot): everything
  the person sends (text, photos, documents) goes to the counselor (:class:`Forward`); the
  dialogs are paused where they were and resume when the session ends. Navigation words
  still work: MENU (and KEMBALI, BATAL) says a counselor is with them and how to end it,
  BANTUAN explains the session, DATA shows their data, STOP and MULAI as always, HAPUS still
  deletes (its confirmation is answered before anything else).
- **Counseling buttons anywhere** (``counsel:*``): "Mulai konseling" from a reminder or the
  "Konseling aktif" screen, "Lamar sekarang" on a recommended vacancy, "Akhiri konseling".
- **PETUGAS** (:meth:`Desk.request_human`): an urgent takeover request; inside office hours
  the person is told a counselor is being called, outside them when someone will answer.
- **Counselors' actions** (:data:`~bot.counseling.model.SYSTEM_KINDS`): a counselor taking
  over, scheduling, declining, writing, recommending, ending; reminders; the honest word
  when nobody took an urgent request in time.

Messages that are not response keys (a counselor's own words, a file) are one response,
``utter_counselor_says`` with the words as the ``{words}`` parameter (never a template:
``{}`` in them is safe) and the file as the message's :class:`~bot.core.types.Attachment`;
a plain channel (console, SMS) gets a line saying a file came that it cannot show.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.domain import PLAIN_CHANNELS
from bot.core.types import (
    Context,
    DeleteMyData,
    Effect,
    Input,
    OutboundMessage,
    Say,
    SetOptOut,
    SystemEvent,
    combine,
    say,
)
from bot.counseling.config import CounselingSettings
from bot.counseling.hours import OfficeHours, format_when
from bot.counseling.model import (
    ACTIVE,
    APPLY,
    AT_TIME,
    DAY_BEFORE,
    DECLINE,
    END,
    END_BUTTON,
    HOUR_BEFORE,
    PREFIX,
    RECOMMEND,
    REMIND,
    SAY,
    SCHEDULE,
    SCHEDULED,
    START,
    STAY,
    SYSTEM_KINDS,
    TAKE,
    URGENT_KIND,
    WAIT,
    WAITING,
    AppliedQuery,
    Audit,
    BeginSession,
    DeclineRequest,
    EndSession,
    Forward,
    MarkMissed,
    RequestCounseling,
    ScheduleSession,
    SessionQuery,
    SessionView,
    ToStaff,
    Transcribe,
    VacancyCard,
    VacancyCardQuery,
    file_attachment,
)
from bot.records.model import ProfileQuery, RecordApplication
from bot.rules.parsing import format_date, format_rupiah

if TYPE_CHECKING:
    from bot.core.conversation import ConversationState, Outcome, Router, UserFlags

PAUSING = frozenset({"start", "menu", "back", "cancel"})


def wage_text(card: VacancyCard) -> str:
    if card.wage_min and card.wage_max and card.wage_min != card.wage_max:
        return f"{format_rupiah(card.wage_min)} - {format_rupiah(card.wage_max)}"
    if card.wage_min or card.wage_max:
        return format_rupiah(card.wage_min or card.wage_max or 0)
    return "-"


def card_params(card: VacancyCard) -> dict[str, str]:
    closes = format_date(card.closes_at) if card.closes_at else "-"
    return {"title": card.title, "company": card.company, "place": card.place or "-",
            "wage": wage_text(card), "closes": closes}  # fmt: skip


@dataclass(frozen=True)
class Desk:
    settings: CounselingSettings
    hours: OfficeHours
    system_kinds: frozenset[str] = SYSTEM_KINDS

    # -- what the person does ----------------------------------------------------------
    def route(
        self,
        router: Router,
        ctx: Context,
        state: ConversationState,
        flags: UserFlags,
        inp: Input,
        intent: str | None,
    ) -> Outcome | None:
        """The router's first decision after consent; None: not the desk's business."""
        if flags.in_session is not None:
            return self._in_session(router, ctx, state, flags, flags.in_session, inp, intent)
        choice = inp.choice or ""
        if intent is None and choice.startswith(f"{PREFIX}:"):
            return self._button(router, ctx, state, choice)
        return None

    def _in_session(
        self,
        router: Router,
        ctx: Context,
        state: ConversationState,
        flags: UserFlags,
        session_id: int,
        inp: Input,
        intent: str | None,
    ) -> Outcome:
        from bot.core.conversation import Outcome

        if intent == "delete_data":
            return router.start_dialog(ctx, state, "delete")
        if intent == "my_data":
            return Outcome(state, (router.my_data(ctx, state, flags),))
        if intent == "stop":
            return Outcome(state, (say("utter_stopped"),), (SetOptOut(True),))
        if intent == "resume":
            key = "utter_resumed" if flags.opted_out else "utter_not_stopped"
            return Outcome(state, (say(key),), (SetOptOut(False),))
        if intent == "human":
            return Outcome(state, (say("utter_counseling_already_with_counselor"),))
        if intent == "help":
            return Outcome(state, (say("utter_counseling_help_in_session"),))
        if intent in PAUSING:
            return Outcome(state, (self._with_counselor(ctx, session_id),))
        if state.active == "delete":  # HAPUS said during the session: its confirmation first
            outcome = router.route_step(ctx, state, inp)
            if outcome.state.active is None and not any(
                isinstance(e, DeleteMyData) for e in outcome.effects
            ):  # kept: back to the session, the menu waits
                kept = tuple(m for m in outcome.messages if m.parts[-1:] != (Say("utter_menu"),))
                with_counselor = self._with_counselor(ctx, session_id)
                return replace(outcome, messages=(*kept, with_counselor))
            return outcome
        choice = inp.choice or ""
        if choice == END_BUTTON:
            return self._end_by_person(router, ctx, state, session_id)
        if choice == STAY:
            return Outcome(state, (say("utter_counseling_go_on"),))
        if choice.startswith(f"{APPLY}:"):
            return self._apply(router, ctx, state, choice, in_session=True)
        if choice:
            return Outcome(state, (self._with_counselor(ctx, session_id),))
        if not (inp.text or inp.media):
            return Outcome(state, ())
        forward = Forward(session_id, inp.text, inp.media, inp.attachment, ctx.channel)
        return Outcome(state, (), (forward,))

    def _with_counselor(self, ctx: Context, session_id: int) -> OutboundMessage:
        session = ctx.ask(SessionQuery(session_id))
        name = session.counselor if session else ""
        return say("utter_counseling_in_session", counselor=name or "-")

    def _end_by_person(
        self, router: Router, ctx: Context, state: ConversationState, session_id: int
    ) -> Outcome:
        from bot.core.conversation import Outcome

        staff = ToStaff(say("utter_staff_ended_by_person", session=str(session_id)))
        message = combine(Say("utter_counseling_ended_by_you"), router.current_prompt(ctx, state))
        return Outcome(state, (message,), (EndSession(session_id, "person"), staff))

    def _button(
        self, router: Router, ctx: Context, state: ConversationState, choice: str
    ) -> Outcome:
        from bot.core.conversation import Outcome

        if choice.startswith(f"{START}:"):
            return self._start(router, ctx, state, choice)
        if choice.startswith(f"{APPLY}:"):
            return self._apply(router, ctx, state, choice, in_session=False)
        # "Akhiri konseling" or "Lanjutkan" after the session ended
        message = combine(Say("utter_counseling_not_in_session"), router.current_prompt(ctx, state))
        return Outcome(state, (message,))

    def _start(
        self, router: Router, ctx: Context, state: ConversationState, choice: str
    ) -> Outcome:
        """ "Mulai konseling": from a little before the scheduled time until a while after."""
        from bot.core.conversation import Outcome

        session = self._session_of(ctx, choice, 2)
        if session is None or session.status != SCHEDULED or session.scheduled_at is None:
            stale = combine(Say("utter_invalid_stale_button"), router.current_prompt(ctx, state))
            return Outcome(state, (stale,))
        at = session.scheduled_at
        early = timedelta(minutes=self.settings.start_early_minutes)
        late = timedelta(minutes=self.settings.missed_after_minutes)
        when = format_when(at, ctx.now.tzinfo)
        if ctx.now < at - early:
            too_early = Say("utter_counseling_too_early", {"when": when})
            return Outcome(state, (combine(too_early, router.current_prompt(ctx, state)),))
        if ctx.now > at + late:
            missed = Say("utter_counseling_missed", {"when": when})
            return Outcome(
                state, (combine(missed, router.current_prompt(ctx, state)),),
                (MarkMissed(session.id),),
            )  # fmt: skip
        staff = ToStaff(say("utter_staff_started_by_person", session=str(session.id)))
        started = say("utter_counseling_started", counselor=session.counselor or "-")
        # Pending options are forgotten: "1" typed now is for the counselor, not a button.
        return Outcome(replace(state, pending=[]), (started,), (BeginSession(session.id), staff))

    @staticmethod
    def _session_of(ctx: Context, choice: str, index: int) -> SessionView | None:
        parts = choice.split(":")
        if len(parts) <= index or not parts[index].isdigit():
            return None
        return ctx.ask(SessionQuery(int(parts[index])))

    def _apply(
        self, router: Router, ctx: Context, state: ConversationState, choice: str, *,
        in_session: bool,
    ) -> Outcome:  # fmt: skip
        """ "Lamar sekarang" on a vacancy a counselor recommended: one tap, counted for the
        month (``RecordApplication``, via the counselor)."""
        from bot.core.conversation import Outcome

        parts = choice.split(":")
        if len(parts) != 4 or not (parts[2].isdigit() and parts[3].isdigit()):
            return Outcome(state, (say("utter_invalid_stale_button"),))
        session_id, vacancy_id = int(parts[2]), int(parts[3])
        card, applied = ctx.ask_all(VacancyCardQuery(vacancy_id), AppliedQuery(vacancy_id))
        effects: tuple[Effect, ...] = ()
        if card is None or not card.open:
            said = Say("utter_counseling_vacancy_closed")
        elif applied:
            said = Say("utter_counseling_already_applied", card_params(card))
        else:
            profile = ctx.ask(ProfileQuery())
            said = Say("utter_counseling_applied", card_params(card))
            effects = (
                RecordApplication(
                    card.source, card.source_id, card.title, card.company, card.place,
                    vacancy_id=card.id, via="counselor", cv=profile.as_data(), on=ctx.today,
                ),
                Transcribe(session_id, "applied", None, {"vacancy": card.id, "title": card.title,
                                                         "company": card.company}),
                ToStaff(say("utter_staff_applied", title=card.title, company=card.company)),
            )  # fmt: skip
        if in_session:
            return Outcome(state, (OutboundMessage((said,)),), effects)
        return Outcome(state, (combine(said, router.current_prompt(ctx, state)),), effects)

    # -- PETUGAS -----------------------------------------------------------------------
    def request_human(
        self, router: Router, ctx: Context, state: ConversationState, context: str
    ) -> Outcome | None:
        """An urgent takeover request; None when no counselors work from a group (the
        router then keeps the honest "not available yet")."""
        if not self.settings.staffed:
            return None
        in_hours = self.hours.is_open(ctx.now)
        if in_hours:
            told = Say(
                "utter_human_requested_open", {"minutes": str(self.settings.takeover_wait_minutes)}
            )
        else:
            when = format_when(self.hours.next_open(ctx.now), ctx.now.tzinfo)
            told = Say("utter_human_requested_closed", {"when": when})
        effect = RequestCounseling("", URGENT_KIND, context, in_hours)
        return router.with_prompt(ctx, state, told, effects=(effect,))

    def wait_over_when(self, now: datetime, tz: Any) -> str:
        """When someone answers at the latest: the next opening after today's hours."""
        local = now.astimezone(self.hours.tz)
        closing = datetime.combine(local.date(), self.hours.closes, self.hours.tz)
        return format_when(self.hours.next_open(max(closing, local)), tz)

    # -- what happens to the person ----------------------------------------------------
    def route_system(
        self,
        router: Router,
        ctx: Context,
        state: ConversationState,
        flags: UserFlags,
        event: SystemEvent,
    ) -> Outcome:
        from bot.core.conversation import Outcome

        p = event.params
        session_id = int(p["session"])
        session = ctx.ask(SessionQuery(session_id))
        nothing = Outcome(state, ())
        if session is None:
            return nothing
        counselor_id = int(p["counselor_id"]) if p.get("counselor_id") is not None else None
        counselor = str(p.get("counselor") or session.counselor or "-")
        zone = ctx.now.tzinfo
        kind = event.kind
        if kind == TAKE:
            if session.status != WAITING or counselor_id is None:
                return nothing
            told = say("utter_counseling_taken", counselor=counselor)
            effects: tuple[Effect, ...] = (
                BeginSession(session_id, counselor_id),
                Audit(counselor_id, "take", session_id),
                ToStaff(say("utter_staff_taken", counselor=counselor)),
            )
            return Outcome(replace(state, pending=[]), (told,), effects)
        if kind == SCHEDULE:
            if session.status != WAITING or counselor_id is None:
                return nothing
            at = datetime.fromisoformat(str(p["at"]))
            told = say(
                "utter_counseling_scheduled", counselor=counselor, when=format_when(at, zone)
            )
            staff = say("utter_staff_scheduled", counselor=counselor,
                        when=format_when(at, self.hours.tz))  # fmt: skip
            effects = (
                ScheduleSession(session_id, counselor_id, at),
                Audit(counselor_id, "approve", session_id),
                ToStaff(staff),
            )
            return Outcome(state, (told,), effects)
        if kind == DECLINE:
            if session.status not in (WAITING, SCHEDULED) or counselor_id is None:
                return nothing
            why = str(p.get("reason") or "-")
            effects = (
                DeclineRequest(session_id, counselor_id, why),
                Audit(counselor_id, "decline", session_id),
                ToStaff(say("utter_staff_declined", counselor=counselor)),
            )
            return Outcome(state, (say("utter_counseling_declined", why=why),), effects)
        if kind == SAY:
            return self._counselor_says(ctx, state, flags, session, counselor_id, counselor, p)
        if kind == RECOMMEND:
            return self._recommend(ctx, state, flags, session, counselor_id, counselor, p)
        if kind == END:
            if session.status != ACTIVE or counselor_id is None:
                return nothing
            ended = combine(
                Say("utter_counseling_ended", {"counselor": counselor}),
                router.current_prompt(ctx, state),
            )
            effects = (
                EndSession(session_id, "counselor", counselor_id),
                Audit(counselor_id, "end", session_id),
                ToStaff(say("utter_staff_ended", session=str(session_id))),
            )
            return Outcome(state, (ended,), effects)
        if kind == REMIND:
            return self._remind(state, session, int(p["stage"]), zone)
        if kind == WAIT:
            if session.status != WAITING or session.kind != URGENT_KIND:
                return nothing
            told = say("utter_human_wait_over", when=self.wait_over_when(ctx.now, zone))
            return Outcome(state, (told,))
        raise LookupError(f"the desk does not handle {kind!r}")

    def _counselor_says(
        self,
        ctx: Context,
        state: ConversationState,
        flags: UserFlags,
        session: SessionView,
        counselor_id: int | None,
        counselor: str,
        p: Any,
    ) -> Outcome:
        from bot.core.conversation import Outcome

        if flags.in_session != session.id:
            return Outcome(state, (), (ToStaff(say("utter_staff_not_delivered")),))
        words = str(p.get("words") or "")
        media = str(p.get("file_kind") or "")
        attachment = file_attachment(
            media, str(p.get("file_ref") or ""), str(p.get("file_name") or "")
        )
        parts = [Say("utter_counselor_says", {"counselor": counselor, "words": words or "-"})]
        effects: list[Effect] = []
        if attachment is not None and ctx.channel in PLAIN_CHANNELS:
            parts.append(Say("utter_counselor_file_not_shown"))
            effects.append(ToStaff(say("utter_staff_file_not_shown")))
            attachment = None
        message = OutboundMessage(tuple(parts), attachment)
        entry = {"words": words, "file": media, "file_name": str(p.get("file_name") or "")}
        effects.append(Transcribe(session.id, media or "message", counselor_id, entry))
        return Outcome(replace(state, pending=[]), (message,), tuple(effects))

    def _recommend(
        self,
        ctx: Context,
        state: ConversationState,
        flags: UserFlags,
        session: SessionView,
        counselor_id: int | None,
        counselor: str,
        p: Any,
    ) -> Outcome:
        from bot.core.conversation import Outcome

        if flags.in_session != session.id or counselor_id is None:
            return Outcome(state, (), (ToStaff(say("utter_staff_not_delivered")),))
        vacancy_id = int(p["vacancy"])
        card = ctx.ask(VacancyCardQuery(vacancy_id))
        if card is None or not card.open:
            return Outcome(state, (), (ToStaff(say("utter_staff_vacancy_unknown")),))
        params = {**card_params(card), "counselor": counselor, "session": str(session.id),
                  "vacancy": str(card.id)}  # fmt: skip
        message = say("utter_counseling_recommendation", **params)
        data = {"vacancy": card.id, "source": card.source, "source_id": card.source_id,
                "title": card.title, "company": card.company, "place": card.place}  # fmt: skip
        effects = (
            Transcribe(session.id, "recommendation", counselor_id, data),
            Audit(counselor_id, "recommend", session.id, f"vacancy {card.id}"),
            ToStaff(say("utter_staff_recommended", title=card.title, company=card.company)),
        )
        return Outcome(state, (message,), effects)

    def _remind(
        self, state: ConversationState, session: SessionView, stage: int, zone: Any
    ) -> Outcome:
        from bot.core.conversation import Outcome

        if session.status != SCHEDULED or session.scheduled_at is None:
            return Outcome(state, ())
        when = format_when(session.scheduled_at, zone)
        counselor = session.counselor or "-"
        if stage == DAY_BEFORE:
            return Outcome(
                state, (say("utter_counseling_reminder_day", when=when, counselor=counselor),)
            )
        if stage == HOUR_BEFORE:
            return Outcome(
                state, (say("utter_counseling_reminder_hour", when=when, counselor=counselor),)
            )
        assert stage == AT_TIME
        now = say("utter_counseling_reminder_now", counselor=counselor, session=str(session.id))
        staff = ToStaff(say("utter_staff_time_now", session=str(session.id)))
        return Outcome(state, (now,), (staff,))
