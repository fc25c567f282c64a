"""Fallback: essential messages reach a person by another of their channels when Telegram
fails them (issue 12 item 4).

Two triggers, one rule:
- **Unreachable** (Telegram answers 403: blocked, deleted): the sender, in the transaction
  that drops the chat's queue, hands the chat's *essential* pending messages to another
  channel first (:meth:`Fallback.on_unreachable`); the rest is dropped as before.
- **Undelivered too long** (``SMS_FALLBACK_AFTER_MINUTES``): :meth:`Fallback.sweep` (a job,
  every minute) hands over essential messages of Telegram (and WhatsApp) still pending that
  long and held by no sender (5xx, timeouts, a long 429).

Handing over never sends: the original row leaves its queue (status ``fallback``, only if
still pending and not in a sender's hands, in one statement, so a message is never sent by
both) and a new row is queued on the chosen channel with the idempotency key
``fallback:<row>`` (a sweep run twice queues it once). The channel chosen is the cheapest
that works: among the person's identities not blocked, other than the failing chat,
Telegram, then WhatsApp (while its 24-hour window is open, or with a template), then SMS.
SMS costs money: a message goes by SMS only within the person's monthly budget
(``SMS_PERSON_MONTHLY_BUDGET`` segments) and the deployment's (``SMS_MONTHLY_BUDGET``),
counted in ``sms_usage`` as it is queued, in the plain GSM-7 rendering the SMS delivery
sends; over budget nothing is queued and it is logged. Messages that are not essential never
fall back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import App
from bot.channels.sms.delivery import RENDER_CHANNEL
from bot.channels.sms.policy import SmsBudget, WhatsAppSend, whatsapp_send_mode
from bot.channels.sms.text import segment_count, split_sms, to_gsm7
from bot.core.domain import Domain
from bot.core.plaintext import render_plain
from bot.core.types import OutboundMessage
from bot.link import store as links
from bot.storage import outbox as store
from bot.storage import people
from bot.storage.crypto import address_hash
from bot.storage.db import Database
from bot.storage.outbox import OutboxItem

log = logging.getLogger(__name__)

CHEAPEST = ("telegram", "whatsapp", "sms")  # the order channels are tried in
SWEPT = ("telegram", "whatsapp")  # channels whose late essential messages fall back


def sms_segments(domain: Domain) -> Callable[[OutboundMessage], int]:
    """How many SMS segments a message costs as the SMS delivery sends it (plain, GSM-7
    look-alikes replaced, split into one-segment parts)."""

    def count(message: OutboundMessage) -> int:
        text = render_plain(domain.render(message, RENDER_CHANNEL), domain, RENDER_CHANNEL)
        return sum(segment_count(part) for part in split_sms(to_gsm7(text), 1))

    return count


@dataclass
class FallbackStats:
    handed_over: int = 0
    by_sms: int = 0
    over_budget: int = 0
    no_channel: int = 0


@dataclass
class Fallback:
    db: Database
    clock: Callable[[], datetime]
    zone: tzinfo
    segments: Callable[[OutboundMessage], int]
    person_budget: int | None = 10
    monthly_budget: int | None = None
    after: timedelta = timedelta(minutes=60)
    wake: Callable[[str], None] | None = None
    whatsapp_template: str = ""  # WHATSAPP_TEMPLATE_SID: WhatsApp outside its 24-hour window
    stats: FallbackStats = field(default_factory=FallbackStats)
    _told: set[int] = field(default_factory=set)  # rows already logged as over budget

    async def on_unreachable(self, conn: AsyncConnection, item: OutboxItem) -> int:
        """In the sender's transaction, before the chat's queue is dropped: hand its
        essential messages (``item`` included) to another channel."""
        now = self.clock()
        moved = 0
        for row in await store.essential_pending(conn, now, chat_key=item.chat_key):
            moved += await self._reroute(conn, row, now, held=True)
        return moved

    async def sweep(self, limit: int = 200) -> int:
        """Hand over essential messages undelivered for longer than ``after``."""
        now = self.clock()
        moved = 0
        for channel in SWEPT:
            async with self.db.write() as conn:
                late = await store.essential_pending(
                    conn, now, channel=channel, created_before=now - self.after, limit=limit
                )
                for row in late:
                    moved += await self._reroute(conn, row, now, held=False)
        self.notify()
        return moved

    def notify(self) -> None:
        if self.wake is not None:
            for channel in CHEAPEST:
                self.wake(channel)

    async def _reroute(
        self, conn: AsyncConnection, item: OutboxItem, now: datetime, *, held: bool
    ) -> int:
        assert item.person_id is not None
        others = [
            a for a in await people.addresses(conn, item.person_id)
            if not a.blocked and a.channel in CHEAPEST
            and address_hash(a.channel, a.address) != item.chat_key
        ]  # fmt: skip
        others = [a for a in others if a.channel != "whatsapp" or self._whatsapp_open(a, now)]
        if not others:
            self.stats.no_channel += 1
            return 0
        target = min(others, key=lambda a: CHEAPEST.index(a.channel))
        segments = 0
        if target.channel == "sms":
            segments = self.segments(item.message)
            if not await self._within_budget(conn, item.person_id, segments, now):
                if item.id not in self._told:
                    self._told.add(item.id)
                    self.stats.over_budget += 1
                    log.warning("SMS budget exhausted: essential message %s of person %s "
                                "(%d segments) not sent by SMS", item.id, item.person_id,
                                segments)  # fmt: skip
                return 0
        if not await store.hand_over(conn, item.id, now, f"fallback to {target.channel}",
                                     held=held):  # fmt: skip
            return 0  # sent or taken by a sender meanwhile
        await store.enqueue(
            conn, channel=target.channel, chat_key=address_hash(target.channel, target.address),
            address=target.address, person_id=item.person_id, message=item.message, now=now,
            idempotency_key=f"fallback:{item.id}", expires_at=item.expires_at, essential=True,
        )  # fmt: skip
        if segments:
            await links.add_usage(conn, item.person_id, now, self.zone, segments)
            self.stats.by_sms += 1
        self.stats.handed_over += 1
        log.info("essential message %s of person %s handed from %s to %s", item.id,
                 item.person_id, item.channel, target.channel)  # fmt: skip
        return 1

    def _whatsapp_open(self, address: people.Address, now: datetime) -> bool:
        """WhatsApp works when its 24-hour window is open or a template may be sent;
        otherwise only SMS could carry it."""
        mode = whatsapp_send_mode(address.last_inbound_at, now,
                                  template_sid=self.whatsapp_template)  # fmt: skip
        return mode is not WhatsAppSend.SMS

    async def _within_budget(
        self, conn: AsyncConnection, person_id: int, segments: int, now: datetime
    ) -> bool:
        month = links.month_of(now, self.zone)
        if not SmsBudget(self.person_budget).allows(
            await links.usage(conn, month, person_id), segments
        ):
            return False
        if self.monthly_budget is None:
            return True
        return SmsBudget(self.monthly_budget).allows(await links.usage(conn, month), segments)


def sms_fallback(app: App, wake: Callable[[str], None] | None = None) -> Fallback:
    """The fallback as the settings ask (``SMS_PERSON_MONTHLY_BUDGET``,
    ``SMS_MONTHLY_BUDGET``, ``SMS_FALLBACK_AFTER_MINUTES``)."""
    sms = app.settings.sms
    return Fallback(
        app.db, app.engine.clock, app.settings.zone, sms_segments(app.engine.domain),
        person_budget=sms.person_monthly_budget, monthly_budget=sms.monthly_budget,
        after=timedelta(minutes=sms.fallback_after_minutes), wake=wake,
        whatsapp_template=sms.whatsapp_template_sid,
    )  # fmt: skip
