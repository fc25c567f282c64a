"""What every SMS/WhatsApp gateway speaks: an inbound message, an outgoing one, a webhook
request as plain data, and the :class:`SmsGateway` protocol that Twilio's format and the
generic JSON format both implement.

Parsing is pure (sans-I/O): a :class:`WebhookRequest` holds the URL, headers and body the
provider sent, and ``gateway.parse`` checks its signature and returns an :class:`InboundSms`.
Only ``send`` does I/O. Errors of ``send`` are those the outbox sender understands:
:class:`~scheduler.outbox.RetryLater` (rate limited), :class:`~scheduler.outbox.Unreachable`
(the number unsubscribed or does not exist), :class:`GatewayError` (anything else;
``permanent`` tells whether retrying can help).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp

from bot.core.types import EventKind, InboundEvent


class SmsChannel(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"


@dataclass(frozen=True)
class Media:
    """An attachment the provider hosts (a photo sent over WhatsApp or MMS)."""

    url: str
    content_type: str


@dataclass(frozen=True)
class InboundSms:
    """One message from a phone, whatever the gateway."""

    channel: SmsChannel
    sender: str  # E.164
    text: str
    message_id: str  # the provider's id (Twilio MessageSid): redeliveries repeat it
    recipient: str = ""  # our number, as the provider wrote it (without "whatsapp:")
    media: tuple[Media, ...] = ()
    payload: str = ""  # a WhatsApp quick-reply button's payload, when one was tapped


@dataclass(frozen=True)
class Template:
    """A pre-approved WhatsApp template (Twilio Content SID, ``HX...``) and its variables."""

    sid: str
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutgoingSms:
    """One message to send: free text, or (WhatsApp outside the 24-hour window) a template."""

    channel: SmsChannel
    to: str  # E.164
    text: str = ""
    template: Template | None = None

    def __post_init__(self) -> None:
        if bool(self.text) == (self.template is not None):
            raise ValueError("an OutgoingSms has either a text or a template")
        if self.template is not None and self.channel is not SmsChannel.WHATSAPP:
            raise ValueError("templates are for WhatsApp only")


@dataclass(frozen=True)
class WebhookRequest:
    """A webhook call as data: the URL the provider called (query string included: it is
    signed), its headers, and the raw body."""

    url: str
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), "")


@dataclass(frozen=True)
class WebhookReply:
    status: int
    body: str = ""
    content_type: str = "text/plain"


class WebhookRejected(Exception):
    """The webhook request is not to be processed: 403 bad signature, 400 malformed,
    415 wrong content type."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class GatewayError(Exception):
    """The provider failed or refused a message.

    ``permanent``: sending the same message again will fail again (a malformed request, a
    region not enabled); otherwise (5xx, a timeout, a wrong credential being fixed) a later
    attempt may succeed. ``code`` is the provider's error code, if any.
    """

    def __init__(self, message: str, *, permanent: bool, status: int | None = None,
                 code: str = "") -> None:  # fmt: skip
        super().__init__(message)
        self.permanent = permanent
        self.status = status
        self.code = code


class OutsideWindow(GatewayError):
    """WhatsApp refused free text: the 24-hour window is closed; send a template or SMS."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message, permanent=True, status=status, code=code)


class SmsGateway(Protocol):
    """A provider's format: parse a webhook call into a message, send a message."""

    provider: str

    def parse(self, request: WebhookRequest) -> InboundSms | None:
        """The message in ``request``; None for a valid call that carries none (a delivery
        status report). Raises :class:`WebhookRejected`."""
        ...

    def acknowledge(self) -> WebhookReply:
        """What to answer a webhook call that was accepted."""
        ...

    async def send(self, message: OutgoingSms) -> str:
        """Send ``message``; returns the provider's message id."""
        ...

    def media_client(self, url: str) -> tuple[aiohttp.ClientSession, dict[str, str]]:
        """The HTTP session and headers to download an inbound attachment at ``url`` (the
        provider's credentials only when ``url`` is on the provider's own API host)."""
        ...

    async def close(self) -> None: ...


def same_origin(url: str, base: str) -> bool:
    """Whether ``url`` is on the scheme, host and port of ``base`` (credentials for the API
    are never sent to another host)."""
    a, b = urlsplit(url), urlsplit(base)
    return bool(a.hostname) and (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


# -- InboundSms → InboundEvent ----------------------------------------------------------
def media_kind(content_type: str) -> str:
    """Telegram's names for what arrived, so dialogs see one vocabulary."""
    major = content_type.split("/", 1)[0].lower()
    return {"image": "photo", "audio": "voice", "video": "video"}.get(major, "document")


def to_event(inbound: InboundSms, sender_id: str) -> InboundEvent:
    """The engine's event for ``inbound``; ``sender_id`` is what conversations are keyed by
    on this channel (the E.164 number: the engine stores an address encrypted and finds it
    by its keyed hash, never in clear; see bot/channels/sms/channel.py).

    A tapped WhatsApp quick reply is a CHOICE; an attachment is MEDIA (its first media URL
    as the attachment, the caption as text); anything else is TEXT. The provider's message
    id is the event id, so a redelivered webhook is processed once.
    """
    channel, event_id = inbound.channel.value, inbound.message_id
    if inbound.payload:
        return InboundEvent(channel, sender_id, EventKind.CHOICE, payload=inbound.payload,
                            event_id=event_id)  # fmt: skip
    if inbound.media:
        first = inbound.media[0]
        return InboundEvent(
            channel, sender_id, EventKind.MEDIA, text=inbound.text,
            media=media_kind(first.content_type), attachment=first.url, event_id=event_id,
        )  # fmt: skip
    return InboundEvent(channel, sender_id, EventKind.TEXT, text=inbound.text, event_id=event_id)
