"""Reading one answer to one question, for any form-like dialog.

A question's response key is ``utter_ask_<slot>``; its buttons' payloads are
``<slot>:<value>`` (``<slot>:unknown`` for "Tidak tahu"), so a stale button from an earlier
question can never answer the current one.

**Confirming instead of guessing** (issue 13, items 6 and 7). A typed date or wage that
cannot be taken as it stands is read back as a :class:`Problem` whose response asks
("Maksud Anda Rp4.500.000?", "Oktober 2026: tanggal berapa?", "Tanggal itu belum lewat.
Benar?") and offers the reading as a button ``confirm:<slot>:<value>``. The dialog re-asks
its question after it, as for any problem, so nothing is stored until the person agrees: the
button (or "ya", which the engine maps to the one confirm button shown, or its number) comes
back as a choice that :func:`read_answer` accepts for that slot only, after checking the
value against the question's range again. Any form that reads its answers with
:func:`read_answer` gets this without a state of its own.

- wages: a figure below a plausible monthly wage ("4500", "4,5") is read as thousands or
  millions and asked about; a written amount still below it ("50rb") is asked about too;
  "4jt 500rb", "empat juta", "4.500K" are taken as they are.
- dates: "15-03-2025" is taken; "kemarin", "tgl 3", "15 Maret" (a day that depends on
  today) are read back as a day to confirm; a month, a part of a month or a week ("Oktober
  2026", "awal Oktober", "minggu lalu") asks for the day and offers the earliest day it can
  be (the worst case for a deadline) as the button; "3 bulan lalu" offers that day as an
  approximation; a date more than :data:`FUTURE_GRACE_DAYS` ahead is questioned where the
  question says so (``question_future``).

**Answers said before they were asked** (``Input.proposed``): the router feeds a value from
free text ("sy kena phk tgl 3 kemarin") to the question that asks for it; it is always read
back for confirmation, never taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from bot.core.types import CONFIRM, Input
from bot.rules.parsing import (
    DateReading,
    ParseError,
    format_date,
    format_rupiah,
    format_span,
    parse_month_count,
    parse_text,
    parse_year,
    read_date,
    read_wage,
)

Kind = Literal["choice", "date", "months", "rupiah", "text", "year"]
UNKNOWN = "unknown"
NONE = "none"  # an option meaning "I have none" (no major, no training...)
INTENT_VALUES = {"affirm": "yes", "deny": "no", "dont_know": UNKNOWN}
NONE_INTENTS = frozenset({"deny", "enough"})  # "tidak", "tidak ada", "gak ada"...

Value = str | int

FUTURE_GRACE_DAYS = 3  # a date this close ahead is not questioned (a PHK announced for Monday)


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
    question_future: bool = False  # dates: a day after today (+ grace) is asked about
    under_age: int = 0  # yes/no "under this age?": a typed age answers it ("32", "32 tahun")

    @property
    def ask_key(self) -> str:
        return f"utter_ask_{self.slot}"

    def payloads(self) -> list[str]:
        values = list(self.options) + ([UNKNOWN] if self.unknown else [])
        return [f"{self.slot}:{v}" for v in values]


_AGE = re.compile(r"(?:umur|usia|umurnya)?\s*(\d{1,3})\s*(?:tahun|thn|th)?")


@dataclass(frozen=True)
class Problem:
    """Why an input is not an answer (yet); ``key`` is the re-prompt's response key. A
    read-back to confirm is a problem too: its response offers ``confirm:<slot>:<value>``."""

    key: str
    params: dict[str, str]

    @property
    def confirms(self) -> bool:
        return self.key.startswith("utter_confirm_")


def _problem(key: str, **params: str) -> Problem:
    return Problem(key, params)


def confirm_payload(slot: str, value: Value) -> str:
    return f"{CONFIRM}:{slot}:{value}"


def read_answer(q: Question, inp: Input, today: date) -> Value | Problem:
    """The answer ``inp`` gives to ``q``, or the problem to explain (or the reading to
    confirm)."""
    if inp.media:
        return _problem("utter_invalid_media")
    allowed = {p.split(":", 1)[1] for p in q.payloads()}
    if inp.choice is not None:
        if inp.choice.startswith(f"{CONFIRM}:"):
            return _confirmed(q, inp.choice, today)
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
        if q.under_age and (m := _AGE.fullmatch(text.lower())) and 15 <= int(m.group(1)) <= 100:
            return "yes" if int(m.group(1)) < q.under_age else "no"
        return _problem("utter_invalid_choice")
    if q.kind in ("date", "rupiah"):
        if inp.intent == "deny" and not inp.proposed:  # "bukan" to a read-back: type it again
            return _problem("utter_retype")
        if q.kind == "date":
            return _read_date(q, text, today, proposed=inp.proposed)
        return _read_wage(q, text, proposed=inp.proposed)
    parsed: int | str | ParseError
    if q.kind == "months":
        parsed = parse_month_count(text, maximum=q.maximum)
    elif q.kind == "year":
        parsed = parse_year(
            text, earliest=today.year - q.years_back, latest=today.year + q.years_ahead
        )
    else:
        if text.endswith("?"):  # a question, not a name or a place: the router may answer it
            return _problem("utter_invalid_text_question")
        parsed = parse_text(text, longest=q.maximum or 100)
    if isinstance(parsed, ParseError):
        return _problem(f"utter_invalid_{q.kind}_{parsed.reason}", maximum=str(q.maximum))
    return parsed


def _date_range(q: Question, today: date) -> tuple[date, date]:
    return today - timedelta(days=q.days_back), today + timedelta(days=q.days_ahead)


def _confirmed(q: Question, payload: str, today: date) -> Value | Problem:
    """A read-back the person agreed to: the value, if it is for this question and still
    within its range."""
    _, slot, value = [*payload.split(":", 2), "", ""][:3]
    if slot != q.slot:
        return _problem("utter_invalid_stale_button")
    if q.kind == "date":
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return _problem("utter_invalid_stale_button")
        earliest, latest = _date_range(q, today)
        return value if earliest <= day <= latest else _problem("utter_invalid_date_range")
    if q.kind == "rupiah" and value.isdigit() and 1 <= int(value) <= (q.maximum or int(value)):
        return int(value)
    return _problem("utter_invalid_stale_button")


def _read_date(q: Question, text: str, today: date, *, proposed: bool) -> Value | Problem:
    reading = read_date(text, today, prefer_past=q.days_back >= q.days_ahead)
    if isinstance(reading, ParseError):
        return _problem(f"utter_invalid_date_{reading.reason}")
    day = reading.earliest if reading.day_missing else reading.value
    earliest, latest = _date_range(q, today)
    if not earliest <= day <= latest:
        return _problem("utter_invalid_date_range")
    params = {"slot": q.slot, "value": day.isoformat(), "date": format_date(day)}
    if reading.precision in ("month", "range"):
        return Problem("utter_confirm_date_span", {**params, "when": _span(reading)})
    if reading.precision == "approximate":
        return Problem("utter_confirm_date_about", params)
    if q.question_future and (day - today).days > FUTURE_GRACE_DAYS:
        return Problem("utter_confirm_date_future", params)
    if proposed:
        return Problem("utter_confirm_date_said", params)
    if reading.inferred:
        return Problem("utter_confirm_date", params)
    return day.isoformat()


def _span(reading: DateReading) -> str:
    return format_span(reading.earliest, reading.latest)


def _read_wage(q: Question, text: str, *, proposed: bool) -> Value | Problem:
    reading = read_wage(text, maximum=q.maximum or 1_000_000_000)
    if isinstance(reading, ParseError):
        return _problem(f"utter_invalid_{q.kind}_{reading.reason}", maximum=str(q.maximum))
    params = {"slot": q.slot, "value": str(reading.amount), "amount": format_rupiah(reading.amount)}
    if reading.needs_confirmation or proposed:
        return Problem("utter_confirm_rupiah", params)
    if reading.implausible:
        return Problem("utter_confirm_rupiah_low", params)
    return reading.amount
