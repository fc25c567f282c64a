"""What the router does with free text (issue 14): pure helpers over a parse.

- :func:`said` turns a message's entities into texts a form can read back ("sy kena phk tgl
  3 kemarin" → ``{"date": "3 Mei 2025"}``): absolute, so they mean the same on a later day.
- :func:`aside` is the short answer to a question asked in passing (a FAQ answer citing its
  rule, a kind word about what is out of scope, thanks, a greeting), or None.
- :func:`unread` says whether a dialog's turn could not use the text (see there).
- :func:`offer` builds "Maksud Anda: X / Y?" from a parse not sure enough to act on, with
  buttons ``nlu:<label>[|<entity>=<text>]`` that fit Telegram's 64-byte callback data.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from bot.core.types import OutboundMessage, Say, Turn, combine
from bot.knowledge.faq import FAQ_RESPONSES as FAQ_LABELS
from bot.rules.parsing import DateReading, format_date, format_span

if TYPE_CHECKING:
    from nlu.interpreter import Parse

NLU_CHOICE = "nlu"  # payload prefix of a reading offered as a button
CONFIRM_PREFIX = "utter_confirm_"  # responses that read a value back (dialogs/questions.py)
MAX_PAYLOAD_BYTES = 64  # Telegram's callback_data limit
OFFER_FLOOR = 0.15  # a reading less likely than this is not worth offering
# What a dialog says when it could not use the input (the step re-asks after it): a turn
# that keeps the dialog's data, does nothing else and starts with one of these left the
# text unread.
UNREAD_KEY = re.compile(r"utter_(?:invalid_\w+|\w*not_found\w*|\w*not_understood\w*)")
NOT_TEXT_PROBLEMS = frozenset({"utter_invalid_media", "utter_invalid_stale_button"})


def said(parse: Parse) -> dict[str, str]:
    """entity → the text a form reads back for it (the first of each kind)."""
    out: dict[str, str] = {}
    for entity in parse.entities:
        if entity.entity in out:
            continue
        reading = entity.reading
        if isinstance(reading, DateReading):
            if reading.precision == "day":
                out["date"] = format_date(reading.value)
            elif reading.precision == "approximate":
                out["date"] = f"sekitar {format_date(reading.value)}"
            else:
                out["date"] = format_span(reading.earliest, reading.latest)
        else:
            out[entity.entity] = entity.text
    return out


def sure(parse: Parse) -> bool:
    """Sure enough to act on: an exact example, or the classifier above its threshold on a
    message of two words or more. One word the data does not know ("hmm", "apa", "eh") is
    not a sentence the classifier can be trusted with: it is offered or left to the step."""
    if not parse.confident:
        return False
    return parse.source == "rule" or len(re.findall(r"[^\W\d_]+", parse.text)) >= 2


def faq_answer(parse: Parse, params: Mapping[str, str]) -> Say | None:
    """The FAQ answer, when both the intent and the question are sure enough."""
    if parse.intent != "benefit_info" or not sure(parse) or not parse.response:
        return None
    if not parse.faq_ranking or parse.faq_ranking[0].confidence < parse.threshold:
        return None
    return Say(parse.response, params)


def aside(parse: Parse, params: Mapping[str, str]) -> tuple[Say, ...]:
    """A short answer to text said in the middle of a step, after which the step's question
    is asked again: a FAQ question, something out of scope, thanks, a greeting; () for
    anything else."""
    if not sure(parse):
        return ()
    if parse.intent == "benefit_info":
        answer = faq_answer(parse, params)
        return (answer, Say("utter_back_to_step")) if answer else ()
    key = {
        "out_of_scope": "utter_out_of_scope_step",
        "thanks": "utter_thanks_step",
        "greet": "utter_greet_step",
    }.get(parse.intent or "")
    return (Say(key),) if key else ()


def unread(data: Mapping[str, object], turn: Turn) -> bool:
    """The dialog could not use the text: its turn keeps the data, saves and ends nothing,
    and re-asks after saying it did not understand (``utter_invalid_*``, ``*_not_found``,
    ``*_not_understood``: the dialogs' convention for a re-prompt). Only then may the
    router answer the text as a question instead; a step that takes free text (a name, a
    job, a place) gets it first."""
    if turn.done or turn.effects or turn.data != data or not turn.messages:
        return False
    first = turn.messages[0].parts[0].key if turn.messages[0].parts else ""
    return bool(UNREAD_KEY.fullmatch(first)) and first not in NOT_TEXT_PROBLEMS


def choice_payload(label: str, entities: Mapping[str, str], wanted: Collection[str]) -> str:
    """``nlu:<label>`` with the entities its journey uses, as long as it fits 64 bytes."""
    payload = f"{NLU_CHOICE}:{label}"
    for name, text in entities.items():
        if name not in wanted or "|" in text or "=" in text:
            continue
        longer = f"{payload}|{name}={text}"
        if len(longer.encode()) <= MAX_PAYLOAD_BYTES:
            payload = longer
    return payload


def read_choice(payload: str) -> tuple[str, dict[str, str]] | None:
    """(label, entities) of an ``nlu:`` payload, or None."""
    prefix, _, rest = payload.partition(":")
    if prefix != NLU_CHOICE or not rest:
        return None
    label, *pairs = rest.split("|")
    entities = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
    return label, entities


def offered_labels(parse: Parse, offerable: Collection[str]) -> list[str]:
    """The two best readings worth offering: journeys and navigation by intent, FAQ
    questions by question (``benefit_info/deadline``)."""
    labels: list[str] = []
    for reading in parse.ranking:
        if reading.confidence < OFFER_FLOOR:
            break
        if reading.name == "benefit_info":
            labels.extend(
                t.name
                for t in parse.faq_ranking[:2]
                if t.confidence * reading.confidence >= OFFER_FLOOR
            )
        elif reading.name in offerable:
            labels.append(reading.name)
        if len(labels) >= 2:
            break
    return list(dict.fromkeys(labels))[:2]


def offer(
    parse: Parse, offerable: Collection[str], slots: Mapping[str, Collection[str]]
) -> OutboundMessage | None:
    """ "Maksud Anda: X / Y?" for a parse not sure enough to act on; ``slots`` lists, per
    label, the entities its journey takes (carried in the button)."""
    labels = offered_labels(parse, offerable)
    if not labels:
        return None
    entities = said(parse)
    options = []
    for label in labels:
        payload = choice_payload(label, entities, slots.get(label, ()))
        carried = payload.removeprefix(f"{NLU_CHOICE}:{label}")  # "|date=3 Mei 2025" or ""
        options.append(Say(f"utter_option_{label}", {"said": carried}))
    return combine(Say("utter_did_you_mean_intent"), *options, Say("utter_did_you_mean_other"))


__all__ = [
    "FAQ_LABELS", "aside", "faq_answer", "offer", "read_choice", "said", "sure", "unread",
]  # fmt: skip
