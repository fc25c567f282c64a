"""Hapus data: confirm, then erase everything kept about the user (UU 27/2022 Pasal 8, 43)."""

from __future__ import annotations

from typing import Any

from bot.core.types import Context, DeleteMyData, Input, Say, Turn, combine, say
from bot.dialogs.base import DialogDefaults

QUESTION = "utter_ask_delete_confirm"


class DeleteDataDialog(DialogDefaults):
    """Ask once more, then delete."""

    name = "delete"

    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn({"step": "confirm"}, (say(QUESTION),))

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn(data, (say(QUESTION),))

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn({}, (say("utter_delete_cancelled"),), done=True)

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return self.back(ctx, data)

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        """Yes deletes; no keeps everything."""
        if inp.choice == "delete:yes" or inp.intent == "affirm":
            return Turn({}, (say("utter_data_deleted"),), (DeleteMyData(),), True)
        if inp.choice == "delete:no" or inp.intent == "deny":
            return Turn({}, (say("utter_delete_cancelled"),), done=True)
        return Turn(data, (combine(Say("utter_invalid_choice"), Say(QUESTION)),))

    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        return []
