"""Reading one answer to one question, for any form-like dialog.

A question's response key is ``utter_ask_<slot>``; its buttons' payloads are
``<slot>:<value>`` (``<slot>:unknown`` for "Tidak tahu"), so a stale button from an earlier
question can never answer the current one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from bot.core.types import Input
from bot.rules.parsing import (
    ParseError,
    parse_date,
    parse_month_count,
    parse_rupiah,
    parse_text,
    parse_year,
)

Kind = Literal["choice", "date", "months", "rupiah", "text", "year"]
UNKNOWN = "unknown"
NONE = "none"  # an option meaning "I have none" (no major, no training...)
INTENT_VALUES = {"affirm": "yes", "deny": "no", "dont_know": UNKNOWN}
NONE_INTENTS = frozenset({"deny", "enough"})  # "tidak", "tidak ada", "gak ada"...

Value = str | int


@dataclass(frozen=True)
class Question:
    slot: str
    kind: Kind
    options: tuple[str, ...] = ()
    unknown: bool = False  # offers "Tidak tahu"
    days_back: int = 365 * 30  # dates: how far in the past an answer may lie
    days_ahead: int = 0  # dates: how far in the future
    maximum: int = 0  # months / rupiah: the largest sensible answer; text: the longest
    years_back: int = 70  # years: how far back
    years_ahead: int = 0  # years: how far ahead

    @property
    def ask_key(self) -> str:
        return f"utter_ask_{self.slot}"

    def payloads(self) -> list[str]:
        values = list(self.options) + ([UNKNOWN] if self.unknown else [])
        return [f"{self.slot}:{v}" for v in values]


@dataclass(frozen=True)
class Problem:
    """Why an input is not an answer; ``key`` is the re-prompt's response key."""

    key: str
    params: dict[str, str]


def _problem(key: str, **params: str) -> Problem:
    return Problem(key, params)


def read_answer(q: Question, inp: Input, today: date) -> Value | Problem:
    """The answer ``inp`` gives to ``q``, or the problem to explain."""
    if inp.media:
        return _problem("utter_invalid_media")
    allowed = {p.split(":", 1)[1] for p in q.payloads()}
    if inp.choice is not None:
        slot, _, value = inp.choice.partition(":")
        if slot == q.slot and value in allowed:
            return value
        return _problem("utter_invalid_stale_button")
    if inp.intent in INTENT_VALUES and INTENT_VALUES[inp.intent] in allowed:
        return INTENT_VALUES[inp.intent]
    if inp.intent in NONE_INTENTS and NONE in allowed:
        return NONE
    text = inp.text.strip()
    if q.kind == "choice":
        return _problem("utter_invalid_choice")
    if q.kind == "date":
        parsed_date = parse_date(
            text,
            earliest=today - timedelta(days=q.days_back),
            latest=today + timedelta(days=q.days_ahead),
        )
        if isinstance(parsed_date, ParseError):
            return _problem(f"utter_invalid_date_{parsed_date.reason}")
        return parsed_date.isoformat()
    parsed: int | str | ParseError
    if q.kind == "months":
        parsed = parse_month_count(text, maximum=q.maximum)
    elif q.kind == "rupiah":
        parsed = parse_rupiah(text, maximum=q.maximum)
    elif q.kind == "year":
        parsed = parse_year(
            text, earliest=today.year - q.years_back, latest=today.year + q.years_ahead
        )
    else:
        parsed = parse_text(text, longest=q.maximum or 100)
    if isinstance(parsed, ParseError):
        return _problem(f"utter_invalid_{q.kind}_{parsed.reason}", maximum=str(q.maximum))
    return parsed
