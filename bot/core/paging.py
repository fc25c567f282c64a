"""Paging a turn's reply on a channel that pays per segment (SMS): at most ``budget``
segments per exchange; the rest is held in the conversation and sent when the person replies
LAGI. Pure: the channel supplies ``measure`` (the segments one message costs there) and
``words`` (a part's text and options there).

A turn's messages are cut between their parts (nor a message's options from the parts after
them). A single part longer than a whole page (the full privacy notice, a vacancy's long
description) is cut inside its text, at a line or sentence end: the page is filled with
its beginning as :data:`PIECE_KEY` ("{words}", the text as rendered) and the rest is held as
another piece, which carries the part's options, so numbered options stay together, with
the last of its text, on its last page. A page that leaves something held ends with
:data:`MORE_KEY` ("Balas LAGI untuk lanjutannya"). Anything else the person sends drops
what was held: they moved on. The options last shown stay the ones a digit picks until the
page that shows new ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.types import OutboundMessage, Say

MORE_KEY = "utter_sms_more"
MORE_WORDS = frozenset({"lagi", "lanjut", "lanjutkan", "lanjutnya", "terus", "next"})
# A piece of one response's text, rendered as it is; the last piece of a question is a
# question too (its navigation stays, as the whole question's would).
PIECE_KEY = "utter_sms_piece"
ASK_PIECE_KEY = "utter_ask_sms_piece"
QUESTION_PREFIX = "utter_ask_"  # bot.core.domain.QUESTION_PREFIX

Measure = Callable[[OutboundMessage], int]
Choices = tuple[tuple[str, str], ...]
# A part's text and options (title, payload) on the channel, as the person would see them.
Words = Callable[[Say], tuple[str, Choices]]

# Where a text may be cut: a line end (the cut before the line break) or a sentence end
# (after its punctuation, before a space and a character that is not a lower-case letter:
# "dll. dan" goes on); only a sentence longer than a whole page at a clause end, else a space,
# else anywhere.
_LINE = re.compile(r"\n")
_SENTENCE = re.compile(r"[.!?…]+[\"')\]]*(?=\s+[^\sa-z])")
_CLAUSE = re.compile(r"[,;:](?=\s)")
_SPACE = re.compile(r"\s")


def asks_more(text: str) -> bool:
    """Whether a reply asks for the rest ("LAGI", "lanjut", any case)."""
    return text.strip().strip(".!").casefold() in MORE_WORDS


def shown_key(part: Say) -> str | None:
    """The response a part shows: a piece shows the response it was cut from (its first
    piece only); the "LAGI" prompt and later pieces show none."""
    if part.key == MORE_KEY:
        return None
    if part.key in (PIECE_KEY, ASK_PIECE_KEY):
        return None if part.params.get("cont") else part.params.get("of", part.key)
    return part.key


def _no_buttons(part: Say) -> bool:
    return False


def _ends(pattern: re.Pattern[str], text: str, at_end: bool) -> list[int]:
    return [m.end() if at_end else m.start() for m in pattern.finditer(text)]


def _cut_tiers(text: str, anywhere: bool) -> list[list[int]]:
    """Cut positions, best kind first, each kind ascending."""
    tiers = [sorted(set(_ends(_LINE, text, False) + _ends(_SENTENCE, text, True)))]
    if anywhere:
        tiers += [_ends(_CLAUSE, text, True), _ends(_SPACE, text, False),
                  list(range(1, len(text)))]  # fmt: skip
    return [[p for p in tier if text[:p].strip() and text[p:].strip()] for tier in tiers]


def _last_fitting(positions: Sequence[int], fits: Callable[[int], bool]) -> int:
    """The largest position that fits (a longer beginning never costs less), else 0."""
    low, high, best = 0, len(positions) - 1, 0
    while low <= high:
        mid = (low + high) // 2
        if fits(positions[mid]):
            best, low = positions[mid], mid + 1
        else:
            high = mid - 1
    return best


@dataclass(frozen=True)
class Pager:
    """``measure``: segments a message costs; ``offers``: whether a part carries options
    (numbered options are never split across pages: "1." means one thing at a time);
    ``words``: a part's text and options (without it, a part is never cut)."""

    measure: Measure
    budget: int
    offers: Callable[[Say], bool] = _no_buttons
    words: Words | None = None

    def units(self, message: OutboundMessage) -> list[tuple[Say, ...]]:
        """The message's parts, each alone until the first that offers options: from there
        on, one unit."""
        units: list[tuple[Say, ...]] = []
        for at, part in enumerate(message.parts):
            if self.offers(part):
                units.append(message.parts[at:])
                break
            units.append((part,))
        return units

    def cost(self, messages: Sequence[OutboundMessage]) -> int:
        return sum(self.measure(m) for m in messages if m.parts)

    def page(
        self, messages: Sequence[OutboundMessage]
    ) -> tuple[tuple[OutboundMessage, ...], list[dict[str, Any]]]:
        """The messages to send now, and what is held (as outbox bodies) for LAGI."""
        if self.cost(messages) <= self.budget:
            return tuple(messages), []
        more = Say(MORE_KEY)
        sent: list[OutboundMessage] = []
        for index, message in enumerate(messages):
            if message.attachment is not None:  # never cut: whole or not yet
                if sent and self.cost([*sent, message, OutboundMessage((more,))]) > self.budget:
                    return self._close(sent, [message, *messages[index + 1 :]])
                sent.append(message)
                continue
            taken: list[Say] = []
            used = 0  # parts of ``message`` taken whole
            for unit in self.units(message):
                if self.cost([*sent, OutboundMessage((*taken, *unit, more))]) <= self.budget:
                    taken.extend(unit)
                    used += len(unit)
                    continue
                later = list(messages[index + 1 :])
                if self.cost([OutboundMessage((*unit, more))]) > self.budget:
                    # longer than a page of its own: fill this page with its beginning
                    cut = self._cut(sent, taken, unit[0], anywhere=not (sent or taken))
                    if cut is not None:
                        head, tail = cut
                        sent.append(OutboundMessage((*taken, head)))
                        rest = OutboundMessage((tail, *message.parts[used + 1 :]))
                        return self._close(sent, [rest, *later])
                if sent or taken:
                    if taken:
                        sent.append(OutboundMessage(tuple(taken)))
                    return self._close(sent, [OutboundMessage(message.parts[used:]), *later])
                taken.extend(unit)  # cannot be cut: whole, on a page of its own
                used += len(unit)
            sent.append(OutboundMessage(tuple(taken)))
        return tuple(sent), []

    def _cut(
        self, sent: Sequence[OutboundMessage], taken: Sequence[Say], part: Say, *, anywhere: bool
    ) -> tuple[Say, Say] | None:
        """``part`` as two pieces: the longest beginning that still fits on this page, cut
        at a line or sentence end (on an empty page, when none fits, at a lesser boundary),
        and the rest, with the part's options. None when no beginning fits."""
        if self.words is None:
            return None
        text, choices = self.words(part)
        text = text.strip()
        piece = part.key in (PIECE_KEY, ASK_PIECE_KEY)
        of = str(part.params.get("of", part.key)) if piece else part.key
        first = {"of": of, "cont": str(part.params.get("cont", ""))} if piece else {"of": of}

        def head(at: int) -> Say:
            return Say(PIECE_KEY, {**first, "words": text[:at].rstrip()})

        def fits(at: int) -> bool:
            trial = OutboundMessage((*taken, head(at), Say(MORE_KEY)))
            return self.cost([*sent, trial]) <= self.budget

        at = 0
        for tier in _cut_tiers(text, anywhere):
            if at := _last_fitting(tier, fits):
                break
        else:
            return None
        key = ASK_PIECE_KEY if of.startswith(QUESTION_PREFIX) else PIECE_KEY
        tail = Say(key, {"of": of, "cont": "1", "words": text[at:].lstrip()}, choices)
        return head(at), tail

    @staticmethod
    def _close(
        sent: list[OutboundMessage], held: Sequence[OutboundMessage]
    ) -> tuple[tuple[OutboundMessage, ...], list[dict[str, Any]]]:
        last = sent[-1]
        sent[-1] = OutboundMessage((*last.parts, Say(MORE_KEY)), last.attachment)
        return tuple(sent), [m.to_body() for m in held if m.parts]


def held_messages(bodies: Sequence[dict[str, Any]]) -> list[OutboundMessage]:
    return [OutboundMessage.from_body(b) for b in bodies]
