"""Consent before any personal question (UU 27/2022 Pasal 20–22). Diagram: consent.mmd.

The notice says the purpose, the kinds of data, how long they are kept and the person's
rights (Pasal 21), in layers: a short summary on the first screen, the full notice a button
("Baca selengkapnya") away, before any answer; the answer is recorded with the notice's
version (Pasal 24). Declining
is respected and can be reversed at any time.
"""

from __future__ import annotations

from typing import Any

from bot.core.types import Context, DeclineConsent, GrantConsent, Input, Say, Turn, combine, say
from bot.dialogs.base import DialogDefaults

ASKED, DECLINED = "asked", "declined"
QUESTION = "utter_consent_question"


class ConsentDialog(DialogDefaults):
    """Ask for explicit consent; nothing else runs until it is given."""

    name = "consent"

    def __init__(self, notice_version: str, retention_days: int) -> None:
        self.version = notice_version
        self.retention_days = retention_days

    def _notice(self, full: bool = False) -> Say:
        key = "utter_privacy_notice_full" if full else "utter_privacy_notice"
        return Say(key, {"retention_days": str(self.retention_days)})

    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """First contact: welcome, the notice in short (the full one a button away), the
        question."""
        if data.get("step") == DECLINED:
            return Turn(data, (say("utter_consent_declined_reminder"),))
        return Turn({"step": ASKED}, (say("utter_welcome"), combine(self._notice(), Say(QUESTION))))

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        """Ask again, briefly."""
        if data.get("step") == DECLINED:
            return Turn(data, (say("utter_consent_declined_reminder"),))
        return Turn(data, (say(QUESTION),))

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self.reprompt(ctx, data)

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self.reprompt(ctx, data)

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        """Setuju / Tidak setuju / show the notice again."""
        if inp.choice == "consent:agree" or inp.intent == "affirm":
            return Turn({}, (say("utter_consent_thanks"),), (GrantConsent(self.version),), True)
        if inp.choice == "consent:decline" or inp.intent == "deny":
            return Turn(
                {"step": DECLINED},
                (say("utter_consent_declined"),),
                (DeclineConsent(self.version),),
            )
        if inp.choice == "consent:notice":  # "Baca selengkapnya": the notice in full
            return Turn({"step": ASKED}, (combine(self._notice(full=True), Say(QUESTION)),))
        if data.get("step") == DECLINED:
            return Turn(data, (say("utter_consent_declined_reminder"),))
        return Turn(data, (combine(Say("utter_consent_need_answer"), Say(QUESTION)),))

    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        return []
