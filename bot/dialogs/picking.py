"""Choosing from a list by typing: "opertor produksi" → "Maksud Anda: Operator Mesin Produksi?"

A dialog keeps the offered keys in its data between the offer and the answer; a button
carries a token of the offer and the index (``pick:<token>:<i>``), so a button of an older
offer is never taken for this one; "pick:none" means "no, let me type it again".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.core.types import Input, Say
from bot.knowledge.search import SURE, Matcher

NONE = "pick:none"


def offer_token(keys: list[str]) -> str:
    return hashlib.sha1("|".join(keys).encode()).hexdigest()[:6]


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
        prefix, token, index = [*inp.choice.split(":"), "", ""][:3]
        fresh = offered and token == offer_token(offered)
        if prefix == "pick" and fresh and index.isdigit() and int(index) < len(offered):
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
    return offer([m.key for m in matches], [m.name for m in matches])


def offer(keys: list[str], names: list[str]) -> Offer:
    """Offer these candidates as buttons (keys are kept by the dialog, names shown)."""
    token = offer_token(keys)
    choices = tuple((name, f"pick:{token}:{i}") for i, name in enumerate(names))
    return Offer(keys, Say("utter_did_you_mean", choices=choices))
