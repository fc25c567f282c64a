"""One inbound event type and one outbound message type for every channel.

Channels translate native input into :class:`InboundEvent` and render
:class:`OutboundMessage`; dialogs see only :class:`Input` and return :class:`Turn`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

if TYPE_CHECKING:
    from nlu.interpreter import Parse


class EventKind(StrEnum):
    TEXT = "text"  # typed text (commands included)
    CHOICE = "choice"  # a button pressed; ``payload`` holds its payload
    MEDIA = "media"  # photo, voice, sticker, location...: ``media`` names which
    START = "start"  # the channel's own "start" (Telegram /start)


@dataclass(frozen=True)
class Upload:
    """A file a channel received for a dialog, checked and stored *before* the turn
    (bot/evidence/intake.py): the dialog never sees bytes, only where the file is kept and its
    hashes, or why it was refused. ``group`` ties the files of one album together (Telegram's
    ``media_group_id``: an album arrives as one message per picture)."""

    ref: str = ""  # the stored file's reference ("" when refused)
    sha256: str = ""  # of the file as received
    phash: str = ""  # perceptual hash, 16 hex digits
    dhash: str = ""  # difference hash, 16 hex digits
    mime: str = ""
    width: int = 0
    height: int = 0
    size: int = 0  # bytes stored
    refused: str = ""  # why it was refused (a bot.evidence.files.Refusal value), else ""
    group: str = ""


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
    upload: Upload | None = None  # a file received and stored before the turn (evidence)


@dataclass(frozen=True)
class SystemEvent:
    """Something that happens to a person without them writing: a reminder falls due, a
    counselor writes, a status changes. It enters through the same engine door as a user's
    message (same lock, same transaction, same outbox) and respects consent and opt-out:
    only ``essential`` events reach a person who said STOP.

    ``key`` makes it happen once (a sweep that runs twice, a restart); ``channel`` picks the
    identity to answer on (default: the one the person used last).
    """

    person_id: int
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None
    essential: bool = False
    channel: str | None = None


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
class Attachment:
    """A file that goes with a message. ``ref`` says where the channel finds it:
    ``tg:<file_id>`` (a file Telegram already holds) or ``store:<ref>`` (an encrypted file
    of the application's file store, bot/evidence/files.py). ``name`` names a document."""

    kind: str  # photo | document
    ref: str
    name: str = ""
    mime: str = ""

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "ref": self.ref, "name": self.name, "mime": self.mime}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Attachment:
        return cls(str(data["kind"]), str(data["ref"]), str(data.get("name", "")),
                   str(data.get("mime", "")))  # fmt: skip


@dataclass(frozen=True)
class OutboundMessage:
    """What to say: response keys, rendered per channel only when sent.

    Several parts make one message (joined by blank lines); the buttons are those of the
    parts, in order. An ``attachment`` (a photo, a document) goes with the text; each channel
    decides how (a Telegram photo with the text as caption, a file path on the console, a
    note on SMS that files cannot come by text message).
    """

    parts: tuple[Say, ...]
    attachment: Attachment | None = None

    def to_body(self) -> dict[str, Any]:
        """The outbox row's body."""
        body: dict[str, Any] = {"parts": self.to_json()}
        if self.attachment is not None:
            body["attachment"] = self.attachment.to_json()
        return body

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> OutboundMessage:
        message = cls.from_json(body["parts"])
        if att := body.get("attachment"):
            message = replace(message, attachment=Attachment.from_json(att))
        return message

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
    attachment: Attachment | None = None
    for part in parts:
        if isinstance(part, OutboundMessage):
            flat.extend(part.parts)
            attachment = attachment or part.attachment
        else:
            flat.append(part)
    return OutboundMessage(tuple(flat), attachment)


# A button that reads a typed value back for confirmation ("Maksud Anda Rp4.500.000?"):
# ``confirm:<slot>:<value>`` (bot/dialogs/questions.py). "ya" typed to the one such button on
# screen chooses it.
CONFIRM = "confirm"


@dataclass(frozen=True)
class Input:
    """What a dialog receives: the event as understood.

    ``choice`` is a button payload (pressed, typed as its number, its title or one of the
    words nlu/options.yml lists for it); ``intent`` is the exact-word reading of short text
    (``affirm``, ``deny``, ``dont_know``, the navigation words); ``parse`` is the free-text
    reading (intent with confidence, FAQ question, entities), which the router uses at the
    menu and for questions asked in the middle of a step. ``proposed``: the text was said
    before this question was asked (the router passes it on); a form reads it back for
    confirmation instead of taking it.
    """

    text: str = ""
    choice: str | None = None
    intent: str | None = None
    media: str = ""
    attachment: str = ""
    parse: Parse | None = field(default=None, compare=False, repr=False)
    proposed: bool = False
    upload: Upload | None = None


# Effects: what a dialog asks the engine to do besides replying. Each feature defines its
# own (frozen dataclasses subclassing Effect); the engine applies them through the handler
# registered for their type, in the same transaction as the conversation state.
class Effect:
    """Something a dialog wants done in the world, applied by the engine after the turn."""


@dataclass(frozen=True)
class GrantConsent(Effect):
    version: str


@dataclass(frozen=True)
class DeclineConsent(Effect):
    version: str


@dataclass(frozen=True)
class RequestHuman(Effect):
    reason: str  # where the user was when they asked


@dataclass(frozen=True)
class SetOptOut(Effect):
    opted_out: bool


@dataclass(frozen=True)
class DeleteMyData(Effect):
    pass


# Asking the world: a dialog that needs I/O (a record, a search, a stored file) asks through
# ``Context.ask(query)``. If the engine has not answered that query yet in this turn, ``ask``
# raises :class:`NeedAnswers`; the engine answers it (reads only), and runs the pure turn again
# with the answer in the context. A dialog never does I/O; it only finds answers or asks.
T = TypeVar("T")


class Query(Generic[T]):
    """A question for the world whose answer has type ``T``. Concrete queries are frozen
    (hashable) dataclasses; the engine answers each through the handler registered for its
    type, on the turn's connection. A query whose answer takes long or leaves the process
    (a download, a PDF) says ``slow = True``: the engine answers it before the turn's
    transaction, on a read-only connection, so no write lock waits for it."""

    slow: ClassVar[bool] = False


class NeedAnswers(Exception):
    """Raised by :meth:`Context.ask` for queries not answered yet in this turn."""

    def __init__(self, queries: tuple[Query[Any], ...]) -> None:
        super().__init__(", ".join(type(q).__name__ for q in queries))
        self.queries = queries


@dataclass(frozen=True)
class Turn:
    """A dialog's answer to one input: its new data, what to say, what to do."""

    data: dict[str, Any]
    messages: tuple[OutboundMessage, ...] = ()
    effects: tuple[Effect, ...] = ()
    done: bool = False
    activate: bool = False  # a system event's turn: make this dialog the active one


@dataclass(frozen=True)
class PersonFacts:
    """What the engine always knows of the person in a turn (their row, read anyway)."""

    id: int
    consent: str = "none"
    opted_out: bool = False
    tz: str | None = None
    benefit_start: date | None = None


@dataclass(frozen=True)
class Context:
    """What a dialog may know of the world: the time (in the person's zone), the channel,
    read-only, what the other dialogs of this conversation hold, and the answers to what it
    asked (:meth:`ask`)."""

    now: datetime
    dialogs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    answers: Mapping[Query[Any], Any] = field(default_factory=dict)
    channel: str = ""
    person: PersonFacts | None = None

    @property
    def today(self) -> date:
        return self.now.date()

    def ask(self, query: Query[T]) -> T:
        """The answer to ``query``; raises :class:`NeedAnswers` until the engine has it."""
        if query in self.answers:
            return cast(T, self.answers[query])
        raise NeedAnswers((query,))

    def ask_all(self, *queries: Query[Any]) -> tuple[Any, ...]:
        """Several answers at once: every missing query is asked in one round."""
        missing = tuple(q for q in queries if q not in self.answers)
        if missing:
            raise NeedAnswers(missing)
        return tuple(self.answers[q] for q in queries)
