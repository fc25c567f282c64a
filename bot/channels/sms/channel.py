"""SMS and WhatsApp into the engine: the same door as Telegram and the console.

An inbound message (already parsed and its signature checked by the gateway) becomes an
:class:`~bot.core.types.InboundEvent` on channel ``sms`` or ``whatsapp``, keyed by the
sender's E.164 number (stored encrypted, found by its keyed hash, as every address is), with
the provider's message id as the event id, so a redelivered webhook is processed once. The
plain channels share the console's rendering and reading: numbered options, a reply digit
picks one, 0 goes back, the keywords work with common typos (bot/core/keywords.py).

A WhatsApp photo is downloaded through the gateway's client into the evidence intake, as a
Telegram photo is; a plain SMS carries no photo (the evidence dialog says so and offers the
other ways).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.channels.sms.gateway import InboundSms, Media, SmsChannel, SmsGateway, to_event
from bot.core.types import InboundEvent
from bot.evidence.files import EvidenceRefused, Refusal, download_http
from bot.storage.crypto import address_hash
from bot.storage.db import Database
from bot.storage.models import Identity, table

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

I = table(Identity)  # noqa: E741


def events(inbound: InboundSms) -> list[InboundEvent]:
    """The engine's events for one inbound message: one, or one per attachment when a
    message carries several (an album: the provider's id, then ``id:2``, ``id:3``...)."""
    first = to_event(inbound, inbound.sender)
    if len(inbound.media) <= 1:
        return [first]
    more = [
        to_event(replace(inbound, media=(media,), text="", message_id=f"{inbound.message_id}:{i}"),
                 inbound.sender)
        for i, media in enumerate(inbound.media[1:], 2)
    ]  # fmt: skip
    return [first, *more]


class SmsInbound:
    """The webhook's handler: each inbound message through the intake (WhatsApp photos) and
    the engine, in order per sender. Raises what the engine raises
    (:class:`~bot.storage.db.StorageUnavailable`: answer so that the provider retries)."""

    def __init__(
        self, app: App, gateway: SmsGateway, channels: frozenset[SmsChannel] | None = None
    ) -> None:
        """``channels``: those the bot can answer on (a sender is configured); a message on
        another is acknowledged and dropped, logged, rather than answered into a queue that
        nothing sends."""
        self.app = app
        self.gateway = gateway
        self.channels = frozenset(SmsChannel) if channels is None else channels

    async def __call__(self, inbound: InboundSms) -> None:
        if inbound.channel not in self.channels:
            log.warning("a %s message came but no %s sender is configured: dropped",
                        inbound.channel.value, inbound.channel.value)  # fmt: skip
            return
        group = inbound.message_id if len(inbound.media) > 1 else ""
        for event, media in zip(events(inbound), inbound.media or (None,), strict=False):
            async with self.app.intake.in_order(event):
                if media is not None and inbound.channel is SmsChannel.WHATSAPP:
                    event = await self.receive(event, media, group)
                await self.app.engine.handle(event)

    async def receive(self, event: InboundEvent, media: Media, group: str) -> InboundEvent:
        """A WhatsApp attachment as an evidence upload when evidence is awaited (downloaded
        only then); the event as it is otherwise."""
        kind = media.content_type.split(";", 1)[0].strip().lower()
        settings = self.app.settings.evidence

        async def fetch(folder: Path) -> Path:
            if kind == "application/pdf":
                raise EvidenceRefused(Refusal.PDF, "a PDF")
            if kind and not kind.startswith("image/") and kind != "application/octet-stream":
                raise EvidenceRefused(Refusal.NOT_IMAGE, kind)
            http, headers = self.gateway.media_client(media.url)
            return await download_http(http, media.url, folder, settings, headers=headers)

        return await self.app.intake.receive(event, fetch, media=event.media, group=group)


async def last_inbound(db: Database, channel: str, address: str) -> datetime | None:
    """When the identity ``channel``/``address`` last wrote (None: unknown): WhatsApp's
    24-hour window is counted from it (kept up to a minute early, ``people.needs_touch``: the
    window closes early, never late). One indexed lookup by the address's keyed hash."""
    async with db.read() as conn:
        value: datetime | None = await conn.scalar(
            select(I.c.last_inbound_at).where(
                I.c.channel == channel, I.c.address_hash == address_hash(channel, address)
            )
        )
    return value
