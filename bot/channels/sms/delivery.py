"""The outbox sender's delivery function for SMS and WhatsApp: render the message as plain
text (numbered options, as on the console), replace look-alikes that GSM-7 lacks (SMS only),
split it into numbered parts, send each part.

Errors pass through as the gateway raised them (:class:`~scheduler.outbox.RetryLater`,
:class:`~scheduler.outbox.Unreachable`, :class:`GatewayError`), so the sender waits, stops or
retries. A message whose later part failed is sent again whole (delivery is at least once).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.channels.sms.gateway import OutgoingSms, SmsChannel, SmsGateway
from bot.channels.sms.text import split_sms, to_gsm7
from bot.core.domain import Domain
from bot.core.plaintext import render_plain
from bot.core.types import OutboundMessage

RENDER_CHANNEL = "sms"  # WhatsApp reads the same plain text: numbered options
# Twilio caps a body at 1600 characters; 10 GSM-7 segments are 1530.
WHATSAPP_SEGMENTS_PER_PART = 10

Resolve = Callable[[str], Awaitable[str]]


async def _same(address: str) -> str:
    return address


class SmsDelivery:
    """``deliver(address, message)`` for one channel (``sms`` or ``whatsapp``).

    ``resolve`` turns an outbox address into the E.164 number (the address may be a person's
    or identity's id, the number being stored encrypted); by default the address *is* the
    number. ``segments_per_part``: each SMS part fits this many segments (1: every part a
    single SMS, numbered "(1/3)").
    """

    def __init__(
        self,
        gateway: SmsGateway,
        domain: Domain,
        channel: SmsChannel = SmsChannel.SMS,
        *,
        resolve: Resolve = _same,
        segments_per_part: int = 1,
    ) -> None:
        self.gateway = gateway
        self.domain = domain
        self.channel = channel
        self.resolve = resolve
        self.segments_per_part = (
            WHATSAPP_SEGMENTS_PER_PART if channel is SmsChannel.WHATSAPP else segments_per_part
        )

    def parts(self, message: OutboundMessage) -> list[str]:
        """The texts ``message`` goes out as, in order."""
        rendered = self.domain.render(message, RENDER_CHANNEL)
        text = render_plain(rendered, self.domain, RENDER_CHANNEL)
        if self.channel is SmsChannel.SMS:
            # Data typed on a phone ("Jum’at", "08.00–17.00") must not make it all UCS-2.
            text = to_gsm7(text)
        return split_sms(text, self.segments_per_part)

    async def __call__(self, address: str, message: OutboundMessage) -> None:
        to = await self.resolve(address)
        for part in self.parts(message):
            await self.gateway.send(OutgoingSms(self.channel, to, text=part))
