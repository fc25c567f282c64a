"""The conversation router: pure, like the dialogs it routes to.

Given the stored state, what the user may receive (consent, opt-out) and one understood
input, it decides which dialog answers: consent first, then navigation words that work from
any step (menu, kembali, batal, bantuan, petugas, stop, mulai, data saya, hapus data), then
the active dialog, then the main menu. The counselor takeover comes right after consent, as
one decision (:class:`Takeover`, bot/counseling/desk.py), on the flag the engine's snapshot
brings along (``UserFlags.in_session``).

**Free text** (issue 14; the engine fills ``Input.parse`` only for text that no option,
title or exact word took):

- *At the menu*, a confident reading acts. A journey in :data:`JOURNEYS` opens its dialog;
  the entities it names (``{"date": "phk_date"}``: the message's date is the ``phk_date``
  answer) are kept as *proposals* and read back for confirmation when the dialog asks that
  slot ("sy kena phk tgl 3 kemarin" opens the eligibility check; at the PHK-date question
  it offers "Tadi Anda menyebut 3 Mei 2025. Benar?"). A journey mapped to ``None`` is not
  built yet: ``utter_soon_<intent>`` says so honestly, with what can be done now, and the
  menu. :data:`FREE_NAV` and :data:`QUIET_NAV` intents act as their navigation word;
  ``stop`` and ``resume`` act only on their exact words (a classifier's "stop" is asked
  about). A FAQ question is answered (citing its rule), greetings and thanks get a warm
  word, out-of-scope text a kind answer about what the assistant does; each with the menu.
- *Not sure enough* (below the interpreter's threshold, or a FAQ question not recognised
  surely): "Maksud Anda: X / Y?" with the two best readings as buttons
  ``nlu:<label>[|<entity>=<text>]`` (bot/core/freetext.py; within Telegram's 64 bytes).
- *In the middle of a step*, the dialog reads the text first. Only if its turn shows it
  could not use it (:func:`bot.core.freetext.unread`) and the text is confidently a FAQ
  question, out of scope, thanks or a greeting, the short answer is given and the step's
  question asked again (``_with_prompt``); otherwise the dialog's own re-prompt stands. A
  name, a job title or a date is never taken for a question.

To wire a new journey, replace its ``None`` in :data:`JOURNEYS` with one line, e.g.
``"my_applications": Journey("portfolio")``; entities mapped to one slot are joined, in the
message's order ("sopir" + "surabaya" → "sopir surabaya"). A menu payload
``menu:<dialog>:<entry>`` opens a dialog at an entry point: its ``start`` gets
``data["entry"]`` (``menu:vacancies:forme`` opens "Lowongan untukku"). A proposal
is offered when the dialog's data has ``step`` equal to the slot and its reply ends with
``utter_ask_<slot>``: the router then runs the step with ``Input(text=..., proposed=True)``
and shows the read-back it gets (forms reading with ``questions.read_answer`` give one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from bot.core import freetext
from bot.core.types import (
    Context,
    DeleteMyData,
    Effect,
    Input,
    NeedAnswers,
    OutboundMessage,
    RequestHuman,
    Say,
    SetOptOut,
    SystemEvent,
    Turn,
    combine,
    say,
)
from bot.dialogs.base import Dialog

MENU = "utter_menu"
FOOTER = "utter_footer"  # bot.core.domain.FOOTER_KEY: placed after the options on plain text
STATE_VERSION = 2  # bot/records/legacy.py reads older shapes forward


@dataclass(frozen=True)
class Journey:
    """Where free text asking for an intent goes: a dialog, and which of the message's
    entities (``date``, ``job``, ``place``...) answer which of its slots."""

    dialog: str
    slots: Mapping[str, str] = field(default_factory=dict)  # entity -> slot


# intent -> the journey it opens; None: not built yet (``utter_soon_<intent>`` + the menu).
JOURNEYS: dict[str, Journey | None] = {
    "check_eligibility": Journey("eligibility", {"date": "phk_date"}),
    "self_assessment": Journey("assessment"),
    "my_profile": Journey("profile"),
    # what was said of the job, the company and the place is one search, read back as typed
    "search_vacancies": Journey(
        "vacancies", {"job": "vac_search", "company": "vac_search", "place": "vac_search"}
    ),
    "my_applications": Journey("portfolio"),
    "upload_evidence": Journey("evidence"),
    "check_progress": Journey("evidence"),
    "report_placement": Journey("placement", {"date": "hired_on"}),
    "ask_counseling": Journey("counseling"),
}
# Intents that act as their navigation word when free text says them confidently (offered
# as a reading when not); start, back and cancel act but are never offered.
FREE_NAV = frozenset({"my_data", "delete_data", "human", "help", "menu"})
QUIET_NAV = frozenset({"start", "back", "cancel"})
# Navigation acted on only by its exact words; a classifier's reading is offered instead.
EXACT_ONLY = frozenset({"stop", "resume"})
# Small talk and questions answered at the menu (with the menu after).
MENU_ANSWERS = {"out_of_scope": "utter_out_of_scope", "greet": "utter_greet",
                "thanks": "utter_thanks"}  # fmt: skip
OFFERABLE = frozenset(JOURNEYS) | FREE_NAV | EXACT_ONLY


@dataclass
class ConversationState:
    """Everything the conversation remembers between events (stored as JSON)."""

    active: str | None = None
    dialogs: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: list[list[str]] = field(default_factory=list)  # [payload, title] last offered
    # dialog -> slot -> {"text": what was said, "shown": bool}: answers said in free text
    # before the dialog asked for them, read back when it does (Router._propose).
    said: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # The rest of a reply paged on SMS (outbox bodies), sent on LAGI (bot/core/paging.py).
    more: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "v": STATE_VERSION,
            "active": self.active,
            "dialogs": self.dialogs,
            "pending": self.pending,
        }
        if self.said:
            out["said"] = self.said
        if self.more:
            out["more"] = self.more
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ConversationState:
        if not data:
            return cls()
        if int(data.get("v") or 1) != STATE_VERSION:
            raise ValueError(f"conversation state v{data.get('v')}: upgrade it first")
        return cls(
            active=data.get("active"),
            dialogs={k: dict(v) for k, v in (data.get("dialogs") or {}).items()},
            pending=[list(p) for p in data.get("pending") or []],
            said={k: dict(v) for k, v in (data.get("said") or {}).items()},
            more=[dict(m) for m in data.get("more") or []],
        )


@dataclass(frozen=True)
class UserFlags:
    consent: str = "none"  # none | granted | declined
    opted_out: bool = False
    in_session: int | None = None  # a counselor has the conversation (issue 11): the session


@dataclass(frozen=True)
class Outcome:
    state: ConversationState
    messages: tuple[OutboundMessage, ...]
    effects: tuple[Effect, ...] = ()


class Takeover(Protocol):
    """A counselor takeover (bot/counseling/desk.py), decided in one place before any
    dialog: ``route`` returns None when it is not its business (no session in progress, not
    one of its buttons); ``request_human`` answers PETUGAS (None: not staffed, the honest
    default stands); ``route_system`` handles the events of ``system_kinds``."""

    @property
    def system_kinds(self) -> frozenset[str]: ...

    def route(
        self, router: Router, ctx: Context, state: ConversationState, flags: UserFlags,
        inp: Input, intent: str | None,
    ) -> Outcome | None: ...  # fmt: skip

    def request_human(
        self, router: Router, ctx: Context, state: ConversationState, context: str
    ) -> Outcome | None: ...

    def route_system(
        self, router: Router, ctx: Context, state: ConversationState, flags: UserFlags,
        event: SystemEvent,
    ) -> Outcome: ...  # fmt: skip


NAV_INTENTS = frozenset(
    {"start", "menu", "back", "cancel", "help", "human", "stop", "resume", "my_data",
     "delete_data"}
)  # fmt: skip


class Router:
    def __init__(
        self,
        dialogs: Mapping[str, Dialog],
        consent: Dialog,
        *,
        faq_params: Mapping[str, str] | None = None,
        takeover: Takeover | None = None,
    ) -> None:
        self.dialogs = dict(dialogs)
        self.consent = consent
        self.faq_params = dict(faq_params or {})  # the figures FAQ answers quote
        self.takeover = takeover  # the counselor takeover (issue 11), asked before any dialog

    # -- helpers ---------------------------------------------------------------------
    def _dialog(self, name: str) -> Dialog:
        return self.consent if name == self.consent.name else self.dialogs[name]

    def _apply(self, state: ConversationState, name: str, turn: Turn) -> ConversationState:
        dialogs = dict(state.dialogs)
        dialogs[name] = turn.data
        active: str | None = name
        if turn.done:
            active = None
            if not turn.data:
                dialogs.pop(name, None)
        return replace(state, active=active, dialogs=dialogs)

    def _current_prompt(self, ctx: Context, state: ConversationState) -> OutboundMessage:
        """Where the user is: the active step's question, or the menu."""
        if state.active:
            turn = self._dialog(state.active).reprompt(ctx, state.dialogs.get(state.active, {}))
            messages = self._propose(ctx, state, state.active, turn.messages)
            if messages:
                return messages[-1]
        return say(MENU)

    def _with_prompt(
        self, ctx: Context, state: ConversationState, *before: Say, effects: tuple[Effect, ...] = ()
    ) -> Outcome:
        prompt = self._current_prompt(ctx, state)
        return Outcome(state, (combine(*before, prompt),), effects)

    def _run(self, ctx: Context, state: ConversationState, name: str, turn: Turn) -> Outcome:
        new_state = self._apply(state, name, turn)
        messages = turn.messages
        if any(isinstance(e, DeleteMyData) for e in turn.effects):
            return Outcome(ConversationState(), messages, turn.effects)
        if turn.done:
            messages = (*messages, say(MENU))
        else:
            messages = self._propose(ctx, new_state, name, messages)
        return Outcome(new_state, messages, turn.effects)

    def start_dialog(
        self, ctx: Context, state: ConversationState, name: str, *, entry: str = ""
    ) -> Outcome:
        """Start or resume ``name``; ``entry`` (a deep link, ``menu:<dialog>:<entry>``)
        reaches its ``start`` as ``data["entry"]``, for that call only."""
        dialog = self._dialog(name)
        data = state.dialogs.get(name, {})
        if entry:
            data = {**data, "entry": entry}
        return self._run(ctx, state, name, dialog.start(ctx, data))

    def open_dialog(
        self, ctx: Context, state: ConversationState, name: str, *, entry: str = ""
    ) -> Outcome:
        """A dialog opened from the menu: its first screen ends with the navigation words
        (KEMBALI, MENU, BANTUAN), said once here rather than under every question."""
        outcome = self.start_dialog(ctx, state, name, entry=entry)
        if outcome.state.active != name or not outcome.messages:
            return outcome
        *before, last = outcome.messages
        return replace(outcome, messages=(*before, combine(last, Say(FOOTER))))

    # what the takeover desk uses (bot/counseling/desk.py)
    def current_prompt(self, ctx: Context, state: ConversationState) -> OutboundMessage:
        return self._current_prompt(ctx, state)

    def with_prompt(
        self, ctx: Context, state: ConversationState, *before: Say, effects: tuple[Effect, ...] = ()
    ) -> Outcome:
        return self._with_prompt(ctx, state, *before, effects=effects)

    def route_step(self, ctx: Context, state: ConversationState, inp: Input) -> Outcome:
        return self._step(ctx, state, inp)

    # -- routing ---------------------------------------------------------------------
    def route(
        self, ctx: Context, state: ConversationState, flags: UserFlags, inp: Input
    ) -> Outcome:
        outcome = self._decide(ctx, state, flags, inp)
        return replace(outcome, state=_settle_said(outcome.state))

    def _decide(
        self, ctx: Context, state: ConversationState, flags: UserFlags, inp: Input
    ) -> Outcome:
        intent = inp.intent if inp.intent in NAV_INTENTS else None
        menu = (
            inp.choice.removeprefix("menu:")
            if inp.choice and inp.choice.startswith("menu:")
            else ""
        )
        if menu in NAV_INTENTS:
            intent = menu
        if flags.consent != "granted":  # an old menu button does not get past consent
            return self._before_consent(ctx, state, inp, intent)
        if self.takeover and (taken := self.takeover.route(self, ctx, state, flags, inp, intent)):
            return taken  # a counselor has the conversation, or a counseling button
        if menu in self.dialogs:
            return self.open_dialog(ctx, state, menu)
        name, _, entry = menu.partition(":")  # menu:<dialog>:<entry>: a deep link
        if entry and name in self.dialogs:
            return self.open_dialog(ctx, state, name, entry=entry)
        if intent is not None:
            return self._navigate(ctx, state, flags, intent)
        if inp.choice and (reading := freetext.read_choice(inp.choice)):
            return self._reading_chosen(ctx, state, flags, *reading)
        if state.active:
            return self._step(ctx, state, inp)
        if inp.parse is not None and not inp.choice:
            return self._free_text(ctx, state, flags, inp)
        problem = "utter_invalid_stale_button" if inp.choice else "utter_menu_not_understood"
        return Outcome(state, (combine(Say(problem), Say(MENU)),))

    # -- free text (issue 14) ----------------------------------------------------------
    def _step(self, ctx: Context, state: ConversationState, inp: Input) -> Outcome:
        """The active dialog reads the input first; text it could not use that is
        confidently a question (or small talk) gets its short answer, then the step's
        question again."""
        name = state.active
        assert name is not None
        data = state.dialogs.get(name, {})
        turn = self._dialog(name).handle(ctx, data, inp)
        answer = freetext.aside(inp.parse, self.faq_params) if inp.parse else ()
        if answer and freetext.unread(data, turn):
            return self._with_prompt(ctx, state, *answer)
        return self._run(ctx, state, name, turn)

    def _free_text(
        self, ctx: Context, state: ConversationState, flags: UserFlags, inp: Input
    ) -> Outcome:
        """Free text at the menu: act on a sure reading, ask about an unsure one."""
        parse = inp.parse
        assert parse is not None
        if freetext.sure(parse) and parse.intent:
            label = parse.faq if parse.intent == "benefit_info" else parse.intent
            sure_faq = parse.intent != "benefit_info" or freetext.faq_answer(parse, self.faq_params)
            if label and sure_faq:
                acted = self._act(ctx, state, flags, label, freetext.said(parse))
                if acted is not None:
                    return acted
        slots = {name: tuple(j.slots) for name, j in JOURNEYS.items() if j is not None}
        if question := freetext.offer(parse, OFFERABLE, slots):
            return Outcome(state, (question,))
        return Outcome(state, (combine(Say("utter_menu_not_understood"), Say(MENU)),))

    def _reading_chosen(
        self,
        ctx: Context,
        state: ConversationState,
        flags: UserFlags,
        label: str,
        said: Mapping[str, str],
    ) -> Outcome:
        """A "Maksud Anda" button: act on that reading as if it had been sure."""
        acted = self._act(ctx, state, flags, label, said, exact=True)
        if acted is None:
            return self._with_prompt(ctx, state, Say("utter_invalid_stale_button"))
        return acted

    def _act(
        self,
        ctx: Context,
        state: ConversationState,
        flags: UserFlags,
        label: str,
        said: Mapping[str, str],
        *,
        exact: bool = False,
    ) -> Outcome | None:
        """Do what a reading asks (see the module docstring); None: nothing to do."""
        intent = label.split("/", 1)[0]
        if intent in JOURNEYS:
            journey = JOURNEYS[intent]
            if journey is None:
                return self._with_prompt(ctx, state, Say(f"utter_soon_{intent}"))
            return self._open(ctx, state, journey, said)
        if intent in FREE_NAV | QUIET_NAV or (exact and intent in EXACT_ONLY):
            return self._navigate(ctx, state, flags, intent)
        if intent == "benefit_info" and label in freetext.FAQ_LABELS:
            return self._with_prompt(ctx, state, Say(freetext.FAQ_LABELS[label], self.faq_params))
        if intent in MENU_ANSWERS:
            return self._with_prompt(ctx, state, Say(MENU_ANSWERS[intent]))
        return None

    def _open(
        self, ctx: Context, state: ConversationState, journey: Journey, said: Mapping[str, str]
    ) -> Outcome:
        """Open a journey's dialog, keeping what the message said for its slots."""
        proposals: dict[str, dict[str, Any]] = {}
        for entity, text in said.items():  # entities of one slot join, in the message's order
            if (slot := journey.slots.get(entity)) is not None:
                before = proposals.get(slot, {}).get("text")
                proposals[slot] = {"text": f"{before} {text}" if before else text, "shown": False}
        kept = {k: v for k, v in state.said.items() if k != journey.dialog}
        if proposals:
            kept[journey.dialog] = proposals
        return self.open_dialog(ctx, replace(state, said=kept), journey.dialog)

    def _propose(
        self,
        ctx: Context,
        state: ConversationState,
        name: str,
        messages: tuple[OutboundMessage, ...],
    ) -> tuple[OutboundMessage, ...]:
        """When the dialog now asks a slot that was said before, read that back: the
        dialog's own read-back for ``Input(text, proposed=True)`` goes before the question
        (a message that already reads something back is left alone)."""
        proposals = state.said.get(name)
        data = state.dialogs.get(name, {})
        step = data.get("step")
        if not proposals or not messages or step not in proposals or state.active != name:
            return messages
        last = messages[-1]
        if not last.parts or last.parts[-1].key != f"utter_ask_{step}":
            return messages
        if any(part.key.startswith(freetext.CONFIRM_PREFIX) for part in last.parts):
            return messages
        inp = Input(text=str(proposals[step]["text"]), proposed=True)
        turn = self._dialog(name).handle(ctx, data, inp)
        if turn.done or turn.effects or turn.data != data or not turn.messages:
            return messages
        confirm = freetext.CONFIRM_PREFIX
        read_back = [p for p in turn.messages[-1].parts if p.key.startswith(confirm)]
        if not read_back:
            return messages
        return (*messages[:-1], combine(*last.parts[:-1], *read_back, last.parts[-1]))

    def _before_consent(
        self, ctx: Context, state: ConversationState, inp: Input, intent: str | None
    ) -> Outcome:
        """Until consent is given only the consent dialog runs; nothing personal is asked."""
        name = self.consent.name
        if state.active != name or intent == "start":
            return self.start_dialog(ctx, replace(state, active=name), name)
        data = state.dialogs.get(name, {})
        if intent == "stop":
            return Outcome(state, (say("utter_stopped"),), (SetOptOut(True),))
        if intent == "resume":
            return self._with_prompt(ctx, state, Say("utter_resumed"), effects=(SetOptOut(False),))
        if intent == "delete_data":  # only the chat address is stored: erase it at once
            return Outcome(
                ConversationState(), (say("utter_data_deleted_before_consent"),), (DeleteMyData(),)
            )
        if intent in ("help", "human", "my_data", "menu", "back", "cancel"):
            key = {
                "help": "utter_help_before_consent",
                "human": "utter_human_before_consent",
                "my_data": "utter_no_data_before_consent",
                "back": "utter_nothing_to_go_back",
                "cancel": "utter_cancel_before_consent",
            }.get(intent, "utter_consent_first")
            return self._with_prompt(ctx, state, Say(key))
        turn = self.consent.handle(ctx, data, inp)
        outcome = self._run(ctx, state, name, turn)
        if turn.done:  # consent given: continue to the menu
            return replace(outcome, state=replace(outcome.state, active=None))
        return outcome

    def _navigate(
        self, ctx: Context, state: ConversationState, flags: UserFlags, intent: str
    ) -> Outcome:
        if intent == "start":
            return self._with_prompt(ctx, state, Say("utter_welcome_back"))
        if intent == "menu":
            return Outcome(replace(state, active=None), (say(MENU),))
        if intent == "cancel":
            if not state.active:
                return Outcome(state, (combine(Say("utter_nothing_to_cancel"), Say(MENU)),))
            turn = self._dialog(state.active).cancel(ctx, state.dialogs.get(state.active, {}))
            dialogs = {k: v for k, v in state.dialogs.items() if k != state.active}
            if turn.data:
                dialogs[state.active] = turn.data
            cleared = replace(state, active=None, dialogs=dialogs)
            said = turn.messages[0] if turn.messages else say("utter_cancelled")
            return Outcome(cleared, (combine(said, Say(MENU)),), turn.effects)
        if intent == "back":
            if not state.active:
                return Outcome(state, (combine(Say("utter_nothing_to_go_back"), Say(MENU)),))
            dialog = self._dialog(state.active)
            turn = dialog.back(ctx, state.dialogs.get(state.active, {}))
            return self._run(ctx, state, state.active, turn)
        if intent == "help":
            return self._with_prompt(ctx, state, Say("utter_help"))
        if intent == "human":
            where = state.active or "menu"
            step = str(state.dialogs.get(where, {}).get("step", ""))
            reason = f"{where}:{step}" if step else where
            if self.takeover and (asked := self.takeover.request_human(self, ctx, state, reason)):
                return asked
            return self._with_prompt(
                ctx, state, Say("utter_human_requested"), effects=(RequestHuman(reason),)
            )
        if intent == "stop":
            return Outcome(state, (say("utter_stopped"),), (SetOptOut(True),))
        if intent == "resume":
            key = "utter_resumed" if flags.opted_out else "utter_not_stopped"
            return self._with_prompt(ctx, state, Say(key), effects=(SetOptOut(False),))
        if intent == "my_data":
            return Outcome(state, (self.my_data(ctx, state, flags),))
        # delete_data
        return self.start_dialog(ctx, state, "delete")

    def route_system(
        self, ctx: Context, state: ConversationState, flags: UserFlags, event: SystemEvent
    ) -> Outcome:
        """An event that does not come from the person: the dialog that owns its kind says
        what to say; it becomes the active dialog only if its turn asks to (``activate``).
        A counselor's action goes to the takeover desk."""
        if self.takeover and event.kind in self.takeover.system_kinds:
            return self.takeover.route_system(self, ctx, state, flags, event)
        name = next((n for n, d in self.dialogs.items() if event.kind in d.system_kinds), None)
        if name is None:
            raise LookupError(f"no dialog handles system events of kind {event.kind!r}")
        dialog = self.dialogs[name]
        turn = dialog.system(ctx, state.dialogs.get(name, {}), event)
        if turn.activate:
            return self._run(ctx, state, name, turn)
        dialogs = dict(state.dialogs)
        if turn.data:
            dialogs[name] = turn.data
        else:
            dialogs.pop(name, None)
        return Outcome(replace(state, dialogs=dialogs), turn.messages, turn.effects)

    def my_data(self, ctx: Context, state: ConversationState, flags: UserFlags) -> OutboundMessage:
        """What is stored, in plain words (UU 27/2022 Pasal 7: the right of access). Every
        dialog's summary asks for its own records; all are asked in one round."""
        lines = [Say("utter_my_data_intro")]
        missing: list[Any] = []
        for name, dialog in self.dialogs.items():
            try:
                summary = dialog.summary(ctx, state.dialogs.get(name, {}))
            except NeedAnswers as need:
                missing.extend(need.queries)
                continue
            lines.extend(Say(key, params) for key, params in summary)
        if missing:
            raise NeedAnswers(tuple(missing))
        for slots in state.said.values():  # said in free text, waiting to be confirmed
            lines.extend(
                Say("utter_my_data_said", {"value": str(v["text"])}) for v in slots.values()
            )
        if len(lines) == 1:
            lines.append(Say("utter_my_data_no_answers"))
        lines.append(
            Say("utter_my_data_opted_out" if flags.opted_out else "utter_my_data_opted_in")
        )
        lines.append(Say("utter_my_data_actions"))
        return combine(*lines)


def _settle_said(state: ConversationState) -> ConversationState:
    """Keep proposals only for the dialog in progress, and only until its step has been
    at their slot and moved on (answered, or KEMBALI)."""
    if not state.said:
        return state
    kept: dict[str, dict[str, dict[str, Any]]] = {}
    for name, slots in state.said.items():
        if name != state.active:
            continue
        step = state.dialogs.get(name, {}).get("step")
        left = {
            slot: {**value, "shown": value.get("shown") or slot == step}
            for slot, value in slots.items()
            if not (value.get("shown") and slot != step)
        }
        if left:
            kept[name] = left
    return replace(state, said=kept)
