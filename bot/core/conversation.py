"""The conversation router: pure, like the dialogs it routes to.

Given the stored state, what the user may receive (consent, opt-out) and one understood
input, it decides which dialog answers: consent first, then navigation words that work from
any step (menu, kembali, batal, bantuan, petugas, stop, mulai, data saya, hapus data), then
the active dialog, then the main menu. A later counselor takeover is one more decision made
by the engine before this router runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

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
STATE_VERSION = 2  # bot/records/legacy.py reads older shapes forward


@dataclass
class ConversationState:
    """Everything the conversation remembers between events (stored as JSON)."""

    active: str | None = None
    dialogs: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: list[list[str]] = field(default_factory=list)  # [payload, title] last offered

    def to_json(self) -> dict[str, Any]:
        return {
            "v": STATE_VERSION,
            "active": self.active,
            "dialogs": self.dialogs,
            "pending": self.pending,
        }

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
        )


@dataclass(frozen=True)
class UserFlags:
    consent: str = "none"  # none | granted | declined
    opted_out: bool = False


@dataclass(frozen=True)
class Outcome:
    state: ConversationState
    messages: tuple[OutboundMessage, ...]
    effects: tuple[Effect, ...] = ()


NAV_INTENTS = frozenset(
    {"start", "menu", "back", "cancel", "help", "human", "stop", "resume", "my_data",
     "delete_data"}
)  # fmt: skip


class Router:
    def __init__(self, dialogs: Mapping[str, Dialog], consent: Dialog) -> None:
        self.dialogs = dict(dialogs)
        self.consent = consent

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
            if turn.messages:
                return turn.messages[-1]
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
        return Outcome(new_state, messages, turn.effects)

    def start_dialog(self, ctx: Context, state: ConversationState, name: str) -> Outcome:
        dialog = self._dialog(name)
        return self._run(ctx, state, name, dialog.start(ctx, state.dialogs.get(name, {})))

    # -- routing ---------------------------------------------------------------------
    def route(
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
        if menu in self.dialogs:
            return self.start_dialog(ctx, state, menu)
        if intent is not None:
            return self._navigate(ctx, state, flags, intent)
        if state.active:
            dialog = self._dialog(state.active)
            return self._run(
                ctx,
                state,
                state.active,
                dialog.handle(ctx, state.dialogs.get(state.active, {}), inp),
            )
        problem = "utter_invalid_stale_button" if inp.choice else "utter_menu_not_understood"
        return Outcome(state, (combine(Say(problem), Say(MENU)),))

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
        what to say; it becomes the active dialog only if its turn asks to (``activate``)."""
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
        if len(lines) == 1:
            lines.append(Say("utter_my_data_no_answers"))
        lines.append(
            Say("utter_my_data_opted_out" if flags.opted_out else "utter_my_data_opted_in")
        )
        lines.append(Say("utter_my_data_actions"))
        return combine(*lines)
