"""Paging a turn's reply on a channel that pays per segment (SMS): at most ``budget``
segments per exchange; the rest is held in the conversation and sent when the person replies
LAGI. Pure: the channel supplies ``measure`` (the segments one message costs there).

A turn's messages are cut between their parts (a response key is never cut, nor a message's
options from the parts after them: a unit longer than the budget goes whole, on its own
page — the full privacy notice, asked for, is that long). A page that leaves something held
ends with :data:`MORE_KEY` ("Balas LAGI untuk lanjutannya"). Anything else the person sends
drops what was held: they moved on. The options last shown stay the ones a digit picks
until the page that shows new ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.types import OutboundMessage, Say

MORE_KEY = "utter_sms_more"
MORE_WORDS = frozenset({"lagi", "lanjut", "lanjutkan", "lanjutnya", "terus", "next"})

Measure = Callable[[OutboundMessage], int]


def asks_more(text: str) -> bool:
    """Whether a reply asks for the rest ("LAGI", "lanjut", any case)."""
    return text.strip().strip(".!").casefold() in MORE_WORDS


def _no_buttons(part: Say) -> bool:
    return False


@dataclass(frozen=True)
class Pager:
    """``measure``: segments a message costs; ``offers``: whether a part carries options
    (numbered options are never split across pages: "1." means one thing at a time)."""

    measure: Measure
    budget: int
    offers: Callable[[Say], bool] = _no_buttons

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
            for unit in self.units(message):
                trial = OutboundMessage((*taken, *unit, more))
                if (sent or taken) and self.cost([*sent, trial]) > self.budget:
                    if taken:
                        sent.append(OutboundMessage(tuple(taken)))
                    rest = OutboundMessage(message.parts[len(taken) :])
                    return self._close(sent, [rest, *messages[index + 1 :]])
                taken.extend(unit)
            sent.append(OutboundMessage(tuple(taken)))
        return tuple(sent), []

    @staticmethod
    def _close(
        sent: list[OutboundMessage], held: Sequence[OutboundMessage]
    ) -> tuple[tuple[OutboundMessage, ...], list[dict[str, Any]]]:
        last = sent[-1]
        sent[-1] = OutboundMessage((*last.parts, Say(MORE_KEY)), last.attachment)
        return tuple(sent), [m.to_body() for m in held if m.parts]


def held_messages(bodies: Sequence[dict[str, Any]]) -> list[OutboundMessage]:
    return [OutboundMessage.from_body(b) for b in bodies]
