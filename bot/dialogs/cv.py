"""Unduh CV (issue 8): a one-page PDF CV made from the profile, for applying anywhere.

One step: the CV is made when asked (``ctx.ask(CvQuery())``, bot/cv/service.py) and goes
with the reply as a document (``store:<ref>``): on Telegram a file in the chat, on the
console a file written to a folder whose path the reply says. Channels that cannot carry a
file (SMS, WhatsApp text) are told so without making one. A profile without a name gets
the way to fill it in first. Diagram: cv.mmd.
"""

from __future__ import annotations

from typing import Any

from bot.core.types import Attachment, Context, Input, OutboundMessage, Say, Turn
from bot.cv.model import CV_MIME, CvQuery
from bot.dialogs.base import DialogDefaults

FILE_CHANNELS = frozenset({"telegram", "console"})  # the channels that deliver a document


class CvDialog(DialogDefaults):
    name = "cv"

    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        if ctx.channel not in FILE_CHANNELS:
            return Turn({}, (OutboundMessage((Say("utter_cv_no_files_here"),)),), done=True)
        made = ctx.ask(CvQuery())
        if made is None:
            return Turn({}, (OutboundMessage((Say("utter_cv_needs_profile"),)),), done=True)
        document = Attachment("document", f"store:{made.ref}", made.name, CV_MIME)
        return Turn({}, (OutboundMessage((Say("utter_cv_ready"),), document),), done=True)

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        return self.start(ctx, data)  # never waits for an answer; a resumed state starts

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn({}, (), done=True)

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn({}, (), done=True)

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn({}, (), done=True)

    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        return []  # the CV is the profile (shown by it); the file is not kept
