"""The outbox sender's delivery function for SMS and WhatsApp: render the message as plain
text (numbered options, as on the console), replace look-alikes that GSM-7 lacks (SMS only),
split it into numbered parts, send each part.

WhatsApp (:class:`WhatsAppDelivery`) decides at send time, from the identity's last inbound
message, whether the 24-hour customer-service window is open: inside it the message goes as
it is; outside it as the approved template (``WHATSAPP_TEMPLATE_SID``, the message folded
into its one variable), or without a template by SMS to the same number. A provider that
says the window is closed (:class:`OutsideWindow`) is believed over our clock.

Errors pass through as the gateway raised them (:class:`~scheduler.outbox.RetryLater`,
:class:`~scheduler.outbox.Unreachable`, :class:`GatewayError`), except a permanent
:class:`GatewayError`, which becomes :class:`~scheduler.outbox.Rejected` (retrying cannot
help: the message is dropped alone). A message whose later part failed is sent again whole
(delivery is at least once).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.channels.sms.gateway import (
    GatewayError,
    OutgoingSms,
    OutsideWindow,
    SmsChannel,
    SmsGateway,
    Template,
)
from bot.channels.sms.policy import WhatsAppSend, whatsapp_send_mode
from bot.channels.sms.text import split_sms, to_gsm7, turn_segments
from bot.core.domain import Domain
from bot.core.plaintext import render_plain
from bot.core.types import OutboundMessage
from scheduler.outbox import Rejected

log = logging.getLogger(__name__)

RENDER_CHANNEL = "sms"  # WhatsApp reads the same plain text: numbered options
# Twilio caps a body at 1600 characters; 10 GSM-7 segments are 1530.
WHATSAPP_SEGMENTS_PER_PART = 10
# WhatsApp refuses a template variable with a line break, a tab or more than 4 spaces in a
# row, and a template body over 1024 characters: the message is folded into one line and
# cut, leaving room for the template's own words.
TEMPLATE_VARIABLE = "1"
TEMPLATE_TEXT_LIMIT = 900

Resolve = Callable[[str], Awaitable[str]]
LastInbound = Callable[[str], Awaitable[datetime | None]]
Clock = Callable[[], datetime]


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

    def text(self, message: OutboundMessage) -> str:
        """``message`` as one plain text, before splitting."""
        rendered = self.domain.render(message, RENDER_CHANNEL)
        text = render_plain(rendered, self.domain, RENDER_CHANNEL)
        if self.channel is SmsChannel.SMS:
            # Data typed on a phone ("Jum’at", "08.00–17.00") must not make it all UCS-2.
            text = to_gsm7(text)
        return text

    def parts(self, message: OutboundMessage) -> list[str]:
        """The texts ``message`` goes out as, in order."""
        return split_sms(self.text(message), self.segments_per_part)

    def segments(self, message: OutboundMessage) -> int:
        """What ``message`` costs, in SMS segments (the pager's measure)."""
        return turn_segments(self.parts(message))

    async def __call__(self, address: str, message: OutboundMessage) -> None:
        to = await self.resolve(address)
        for part in self.parts(message):
            await _send(self.gateway, OutgoingSms(self.channel, to, text=part))


async def _send(gateway: SmsGateway, message: OutgoingSms) -> None:
    try:
        await gateway.send(message)
    except OutsideWindow:
        raise
    except GatewayError as e:
        if e.permanent:
            raise Rejected(str(e)) from e
        raise


def template_text(text: str, limit: int = TEMPLATE_TEXT_LIMIT) -> str:
    """``text`` as a template variable: one line (a blank line becomes " | ", a line break
    " / ", spaces collapsed), at most ``limit`` characters."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    folded = " | ".join(
        " / ".join(" ".join(line.split()) for line in p.split("\n") if line.strip())
        for p in paragraphs
        if p.strip()
    )
    return folded if len(folded) <= limit else folded[: limit - 3].rstrip() + "..."


class WhatsAppDelivery(SmsDelivery):
    """WhatsApp within its 24-hour window (see the module's docstring).

    ``last_inbound(address)``: when the person last wrote on WhatsApp (None: never);
    ``template_sid``: the approved template, empty for none; ``sms``: the SMS delivery for
    the same numbers, None when no SMS sender is configured (then a message that can go
    neither way is dropped, logged).
    """

    def __init__(
        self,
        gateway: SmsGateway,
        domain: Domain,
        *,
        last_inbound: LastInbound,
        clock: Clock,
        template_sid: str = "",
        sms: SmsDelivery | None = None,
        resolve: Resolve = _same,
    ) -> None:
        super().__init__(gateway, domain, SmsChannel.WHATSAPP, resolve=resolve)
        self.last_inbound = last_inbound
        self.clock = clock
        self.template_sid = template_sid
        self.sms = sms

    async def mode(self, address: str) -> WhatsAppSend:
        last = await self.last_inbound(address)
        return whatsapp_send_mode(last, self.clock(), template_sid=self.template_sid)

    async def __call__(self, address: str, message: OutboundMessage) -> None:
        mode = await self.mode(address)
        if mode is WhatsAppSend.FREE_FORM:
            try:
                await super().__call__(address, message)
                return
            except OutsideWindow:  # the provider's clock says closed: believe it
                log.info("whatsapp window closed by the provider's reckoning")
                mode = WhatsAppSend.TEMPLATE if self.template_sid else WhatsAppSend.SMS
        if mode is WhatsAppSend.TEMPLATE:
            to = await self.resolve(address)
            variables = {TEMPLATE_VARIABLE: template_text(self.text(message))}
            template = Template(self.template_sid, variables)
            try:
                await _send(self.gateway, OutgoingSms(SmsChannel.WHATSAPP, to, template=template))
            except OutsideWindow as e:  # a template is refused only when it is broken
                raise Rejected(str(e)) from e
            return
        if self.sms is None:
            raise Rejected("WhatsApp window closed, no template and no SMS sender")
        await self.sms(address, message)
