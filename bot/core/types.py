"""One inbound event type and one outbound message type for every channel.

Channels translate native input into :class:`InboundEvent` and render
:class:`OutboundMessage`; dialogs see only :class:`Input` and return :class:`Turn`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    TEXT = "text"  # typed text (commands included)
    CHOICE = "choice"  # a button pressed; ``payload`` holds its payload
    MEDIA = "media"  # photo, voice, sticker, location...: ``media`` names which
    START = "start"  # the channel's own "start" (Telegram /start)


@dataclass(frozen=True)
class InboundEvent:
    """A user's message on any channel, normalised (cf. Rasa's ``UserMessage``)."""

    channel: str
    sender_id: str
    kind: EventKind
    text: str = ""
    payload: str = ""
    media: str = ""
    attachment: str = ""  # the channel's reference to a photo (Telegram file_id), never bytes
    event_id: str | None = None  # the channel's id for redelivery detection (update_id)
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Say:
    """One response key of domain.yml with the parameters it fills in.

    ``choices`` are buttons computed at run time, as (title, payload): their titles are data
    (an occupation, a region, a saved entry), never prose; they come before the response's
    own buttons.
    """

    key: str
    params: Mapping[str, str] = field(default_factory=dict)
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OutboundMessage:
    """What to say: response keys, rendered per channel only when sent.

    Several parts make one message (joined by blank lines); the buttons are those of the
    parts, in order.
    """

    parts: tuple[Say, ...]

    def to_json(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for p in self.parts:
            item: dict[str, Any] = {"key": p.key, "params": dict(p.params)}
            if p.choices:
                item["choices"] = [list(c) for c in p.choices]
            out.append(item)
        return out

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> OutboundMessage:
        return cls(
            tuple(
                Say(
                    p["key"],
                    dict(p.get("params", {})),
                    tuple((str(t), str(v)) for t, v in p.get("choices", [])),
                )
                for p in data
            )
        )


def say(key: str, **params: str) -> OutboundMessage:
    return OutboundMessage((Say(key, params),))


def combine(*parts: Say | OutboundMessage) -> OutboundMessage:
    flat: list[Say] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, OutboundMessage) else (part,))
    return OutboundMessage(tuple(flat))


@dataclass(frozen=True)
class Input:
    """What a dialog receives: the event as understood.

    ``choice`` is a button payload (pressed, typed as its number, or typed as its title);
    ``intent`` is what the NLU made of free text (``affirm``, ``deny``, ``dont_know``...).
    """

    text: str = ""
    choice: str | None = None
    intent: str | None = None
    media: str = ""
    attachment: str = ""


# Effects: what a dialog asks the engine to do besides replying.
@dataclass(frozen=True)
class GrantConsent:
    version: str


@dataclass(frozen=True)
class DeclineConsent:
    version: str


@dataclass(frozen=True)
class RequestHuman:
    reason: str  # where the user was when they asked


@dataclass(frozen=True)
class SetOptOut:
    opted_out: bool


@dataclass(frozen=True)
class DeleteMyData:
    pass


Effect = GrantConsent | DeclineConsent | RequestHuman | SetOptOut | DeleteMyData


@dataclass(frozen=True)
class Turn:
    """A dialog's answer to one input: its new data, what to say, what to do."""

    data: dict[str, Any]
    messages: tuple[OutboundMessage, ...] = ()
    effects: tuple[Effect, ...] = ()
    done: bool = False


@dataclass(frozen=True)
class Context:
    """What a dialog may know of the world: the time (in the user's zone) and, read-only,
    what the other dialogs of this conversation hold (the profile shows the registration)."""

    now: datetime
    dialogs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.now.date()
