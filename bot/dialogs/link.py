"""Hubungkan nomor HP: one person on Telegram and SMS (issue 12 item 3).

The direction: the person, on Telegram (or any chat that is not the phone itself), types
their mobile number; a 6-digit code goes to that number by SMS; they type the code where
they are. Receiving the code proves they hold the phone, typing it proves they hold the
chat, and nothing has to be read from an SMS sent by the person (the inbound SMS wiring is
not needed). From SMS itself the dialog explains the way round.

1. ``phone``: the number, normalised to E.164 (``08xx``, ``628xx``, ``+62 8xx-...``); a number
   that is not a mobile number gets a friendly retry. A number already linked to this person
   is said so; a number whose person uses another chat (a Telegram of someone else) is not
   taken over; too many codes this hour (the person or the number) is said so.
2. ``code``: six digits, within ``LINK_CODE_MINUTES``; five wrong tries and the code is void;
   a used, void or replaced code never works again. Right: the number's identity joins the
   person (``ConfirmLink``; its own records, if it had a person, are merged: see
   bot/link/merge.py), and reminders may go by SMS when Telegram fails.
"""

from __future__ import annotations

from typing import Any

from bot.channels.sms.phone import PhoneError, PhoneProblem, mask_phone, normalise_phone
from bot.core.types import Context, Input, Say, Turn, combine, say
from bot.dialogs.base import DialogDefaults
from bot.link.model import (
    CODE_DIGITS,
    PHONE_CHANNELS,
    Allowance,
    CheckCodeQuery,
    CodeAllowanceQuery,
    CodeResult,
    ConfirmLink,
    CountWrongCode,
    LinkStatusQuery,
    SendLinkCode,
)

ASK_PHONE = "utter_ask_link_phone"
ASK_CODE = "utter_ask_link_code"
RESEND = "link:resend"
PHONE_PROBLEMS = {
    PhoneProblem.FORMAT: "utter_invalid_link_phone_format",
    PhoneProblem.INVALID: "utter_invalid_link_phone_invalid",
    PhoneProblem.NOT_MOBILE: "utter_invalid_link_phone_not_mobile",
}


class LinkDialog(DialogDefaults):
    name = "link"

    def __init__(self, *, sms_enabled: bool = False, code_minutes: int = 10) -> None:
        self.sms_enabled = sms_enabled
        self.code_minutes = code_minutes

    def start(self, ctx: Context, data: dict[str, Any]) -> Turn:
        if not self.sms_enabled:
            return Turn({}, (say("utter_link_unavailable"),), done=True)
        if ctx.channel in PHONE_CHANNELS:
            return Turn({}, (say("utter_link_from_phone"),), done=True)
        if data.get("step") == "code":
            return Turn(data, (say(ASK_CODE),))
        status = ctx.ask(LinkStatusQuery())
        parts: list[Say] = []
        if status.numbers:
            parts.append(Say("utter_link_current", {"numbers": ", ".join(status.numbers)}))
        parts.append(Say(ASK_PHONE))
        return Turn({"step": "phone"}, (combine(*parts),))

    def handle(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        if not self.sms_enabled or ctx.channel in PHONE_CHANNELS:
            return self.start(ctx, {})
        if data.get("step") == "code":
            return self._code(ctx, data, inp)
        return self._phone(ctx, data, inp)

    def _phone(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        text = inp.text.strip()
        if inp.choice or not text:
            return Turn(data, (combine(Say("utter_invalid_link_phone_format"), Say(ASK_PHONE)),))
        try:
            phone = normalise_phone(text)
        except PhoneError as e:
            problem = PHONE_PROBLEMS[e.problem]
            return Turn(data, (combine(Say(problem), Say(ASK_PHONE)),))
        masked = mask_phone(phone)
        allowance = ctx.ask(CodeAllowanceQuery(phone))
        if allowance is Allowance.MINE:
            return Turn({}, (say("utter_link_already_mine", phone=masked),), done=True)
        if allowance is Allowance.TAKEN:
            return Turn({}, (say("utter_link_number_taken"),), done=True)
        if allowance is Allowance.LIMIT:
            return Turn({}, (say("utter_link_too_many_codes"),), done=True)
        sent = Say("utter_link_code_sent", {"phone": masked, "minutes": str(self.code_minutes)})
        return Turn(
            {"step": "code", "phone": masked}, (combine(sent, Say(ASK_CODE)),),
            (SendLinkCode(phone),),
        )  # fmt: skip

    def _code(self, ctx: Context, data: dict[str, Any], inp: Input) -> Turn:
        if inp.choice == RESEND:
            return Turn({"step": "phone"}, (say(ASK_PHONE),))
        code = "".join(ch for ch in inp.text if ch.isascii() and ch.isdigit())
        if inp.choice or len(code) != CODE_DIGITS:  # "123 456", "kode 123456" are read
            return Turn(data, (combine(Say("utter_invalid_link_code_format"), Say(ASK_CODE)),))
        verdict = ctx.ask(CheckCodeQuery(code))
        phone = str(data.get("phone", ""))
        if verdict.result is CodeResult.OK:
            return Turn({}, (say("utter_link_done", phone=phone),), (ConfirmLink(code),), True)
        if verdict.result is CodeResult.WRONG:
            if verdict.left <= 0:
                told = combine(Say("utter_link_code_void"), Say(ASK_PHONE))
                return Turn({"step": "phone"}, (told,), (CountWrongCode(),))
            wrong = Say("utter_invalid_link_code_wrong", {"left": str(verdict.left)})
            return Turn(data, (combine(wrong, Say(ASK_CODE)),), (CountWrongCode(),))
        if verdict.result is CodeResult.TAKEN:
            return Turn({}, (say("utter_link_number_taken"),), done=True)
        key = {
            CodeResult.EXPIRED: "utter_link_code_expired",
            CodeResult.VOID: "utter_link_code_void",
        }.get(verdict.result, "utter_link_code_none")
        return Turn({"step": "phone"}, (combine(Say(key), Say(ASK_PHONE)),))

    def back(self, ctx: Context, data: dict[str, Any]) -> Turn:
        if data.get("step") == "code":
            return Turn({"step": "phone"}, (say(ASK_PHONE),))
        return Turn(data, (combine(Say("utter_back_at_start"), Say(ASK_PHONE)),))

    def cancel(self, ctx: Context, data: dict[str, Any]) -> Turn:
        return Turn({}, (), done=True)

    def reprompt(self, ctx: Context, data: dict[str, Any]) -> Turn:
        if data.get("step") == "code":
            return Turn(data, (say(ASK_CODE),))
        return Turn({"step": "phone"}, (say(ASK_PHONE),))

    def summary(self, ctx: Context, data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        """DATA: the numbers linked (masked) and a code waiting to be typed."""
        status = ctx.ask(LinkStatusQuery())
        lines: list[tuple[str, dict[str, str]]] = []
        if status.numbers:
            lines.append(("utter_data_link_numbers", {"numbers": ", ".join(status.numbers)}))
        if status.pending:
            lines.append(("utter_data_link_pending", {"phone": status.pending}))
        return lines
