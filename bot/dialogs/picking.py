"""Choosing from a list by typing: "opertor produksi" → "Maksud Anda: Operator Mesin Produksi?"

A dialog keeps the offered keys in its data between the offer and the answer; the buttons
carry only the index (``pick:<i>``), and "pick:none" means "no, let me type it again".
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.types import Input, Say
from bot.knowledge.search import SURE, Matcher

NONE = "pick:none"


@dataclass(frozen=True)
class Chosen:
    key: str
    name: str


@dataclass(frozen=True)
class Offer:
    keys: list[str]
    say: Say  # "Maksud Anda ...?" with one button per candidate, then "Bukan"


@dataclass(frozen=True)
class Retype:
    """The user said none of the offers: ask for the name again."""


@dataclass(frozen=True)
class NotFound:
    """Nothing close: ask again, with a hint."""


@dataclass(frozen=True)
class Unreadable:
    """A button from elsewhere, a sticker...: ``key`` explains."""

    key: str


Picked = Chosen | Offer | Retype | NotFound | Unreadable


def read_pick(matcher: Matcher, inp: Input, offered: list[str]) -> Picked:
    """Understand a typed name, or the answer to an earlier offer (``offered`` keys)."""
    if inp.media:
        return Unreadable("utter_invalid_media")
    if inp.choice is not None:
        if inp.choice == NONE and offered:
            return Retype()
        prefix, _, index = inp.choice.partition(":")
        if prefix == "pick" and index.isdigit() and int(index) < len(offered):
            key = offered[int(index)]
            return Chosen(key, matcher.display[key])
        return Unreadable("utter_invalid_stale_button")
    if offered and inp.intent == "deny":
        return Retype()
    if offered and inp.intent == "affirm" and len(offered) == 1:
        return Chosen(offered[0], matcher.display[offered[0]])
    matches = matcher.search(inp.text)
    if not matches:
        return NotFound()
    if matches[0].score >= SURE and (len(matches) == 1 or matches[1].score < SURE):
        return Chosen(matches[0].key, matches[0].name)
    choices = tuple((m.name, f"pick:{i}") for i, m in enumerate(matches))
    return Offer([m.key for m in matches], Say("utter_did_you_mean", choices=choices))
