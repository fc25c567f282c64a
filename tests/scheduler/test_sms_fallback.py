"""Fallback of essential messages to SMS when Telegram fails them, end to end: the Telegram
runtime's real sender against the fake Bot API (403, 502), the SMS sender through Twilio's
API to the fake SMS gateway, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from bot.app import build_app
from bot.channels.sms.delivery import SmsDelivery
from bot.channels.sms.twilio_gateway import TwilioGateway
from bot.channels.telegram import TelegramRuntime
from bot.core.types import OutboundMessage, Say, SystemEvent
from bot.dialogs.evidence import ACCEPTED, REJECTED
from bot.link.tables import SmsUsage
from bot.settings import Settings, SmsSettings
from bot.storage import outbox, people
from bot.storage.crypto import address_hash
from bot.storage.models import EvidenceRow, Identity, OutboxMessage, table
from bot.testing.client import ChatClient, consented
from bot.testing.clock import FrozenClock
from bot.testing.fake_bot_api import FakeBotAPI
from bot.testing.fake_sms_gateway import FakeSmsGateway
from scheduler.fallback import Fallback
from scheduler.outbox import OutboxSender

CHAT = 4242
PHONE = "+6281234567890"
WHATSAPP = "+6285711112222"
BLOCKED = "Forbidden: bot was blocked by the user"


def rejected(company: str = "PT Sinar Jaya") -> OutboundMessage:
    """An essential message: evidence rejected, with its reason."""
    why = "Foto buram, tanggal surat tidak terbaca"
    params = {"company": company, "day": "3 Juni 2025", "why": why}
    return OutboundMessage((Say("utter_ev_rejected_application", params),))


def accepted() -> OutboundMessage:
    """Not essential: evidence accepted."""
    return OutboundMessage((Say("utter_ev_accepted_application",
                                {"company": "PT Maju", "day": "3 Juni 2025"}),))  # fmt: skip


@dataclass
class World:
    rt: TelegramRuntime
    api: FakeBotAPI
    fake: FakeSmsGateway
    sms: OutboxSender
    clock: FrozenClock
    person: int

    @property
    def fallback(self) -> Fallback:
        assert self.rt.fallback is not None
        return self.rt.fallback

    async def queue(self, message: OutboundMessage, *, essential: bool, key: str) -> None:
        """As the engine queues a system event's message for the person's Telegram chat."""
        now = self.clock()
        async with self.rt.app.db.write() as conn:
            await outbox.enqueue(
                conn, channel="telegram", chat_key=address_hash("telegram", str(CHAT)),
                address=str(CHAT), person_id=self.person, message=message, now=now,
                idempotency_key=key, essential=essential,
            )  # fmt: skip

    async def link(self, channel: str, number: str, wrote: datetime | None = None) -> None:
        """A linked number (``wrote``: when it last wrote itself; linked only: never)."""
        async with self.rt.app.db.write() as conn:
            await conn.execute(insert(table(Identity)).values(
                person_id=self.person, channel=channel, address_hash=address_hash(channel, number),
                address=number, blocked=False, created_at=self.clock(), last_inbound_at=wrote,
            ))  # fmt: skip

    async def statuses(self, channel: str) -> list[str]:
        O = table(OutboxMessage)  # noqa: E741
        async with self.rt.app.db.read() as conn:
            rows = await conn.scalars(
                select(O.c.status)
                .where(O.c.channel == channel, O.c.idempotency_key != None)  # noqa: E711
                .order_by(O.c.id)
            )  # the test's own messages and their fallbacks, not the chat's replies
            return list(rows)

    async def spent(self) -> int:
        async with self.rt.app.db.read() as conn:
            total = select(func.coalesce(func.sum(table(SmsUsage).c.segments), 0))
            return int(await conn.scalar(total) or 0)

    def telegram_texts(self) -> list[str]:
        return [c.params["text"] for c in self.api.calls_of("sendMessage")]


async def world(
    settings: Settings, clock: FrozenClock, api: FakeBotAPI, fake: FakeSmsGateway,
    **budget: int | None,
) -> AsyncIterator[World]:  # fmt: skip
    sms = SmsSettings(
        provider="twilio", twilio_account_sid=fake.account_sid,
        twilio_auth_token=fake.auth_token, sms_from=fake.number, api_base=fake.base_url,
        fallback_after_minutes=60, **budget,  # type: ignore[arg-type]
    )  # fmt: skip
    tg = replace(settings, telegram_token=api.token, telegram_api_base=api.base_url,
                 telegram_chat_interval=0, sms=sms)  # fmt: skip
    app = await build_app(tg, clock=clock)
    rt = TelegramRuntime(app)
    gateway = TwilioGateway(fake.account_sid, fake.auth_token, sms_from=fake.number,
                            whatsapp_from=fake.whatsapp_number, api_base=fake.base_url)  # fmt: skip
    sender = OutboxSender(app.db, "sms", SmsDelivery(gateway, app.engine.domain), clock,
                          per_second=0, chat_interval=0)  # fmt: skip
    try:
        client = await consented(ChatClient(app.engine, channel="telegram", user=str(CHAT)))
        async with app.db.read() as conn:
            snap = await people.snapshot(conn, "telegram", str(CHAT))
        assert snap is not None and client.said() == ["utter_consent_thanks", "utter_menu"]
        yield World(rt, api, fake, sender, clock, snap.person.id)
    finally:
        await gateway.close()
        await rt.bot.session.close()
        await app.close()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def fake() -> AsyncIterator[FakeSmsGateway]:
    async with FakeSmsGateway() as server:
        yield server


@pytest.fixture
async def w(
    settings: Settings, clock: FrozenClock, api: FakeBotAPI, fake: FakeSmsGateway
) -> AsyncIterator[World]:
    async for one in world(settings, clock, api, fake):
        yield one


async def test_a_403_sends_essential_messages_by_sms_and_drops_the_rest(w: World) -> None:
    await w.link("sms", PHONE)
    await w.queue(rejected(), essential=True, key="r1")
    await w.queue(accepted(), essential=False, key="a1")
    w.api.fail_next("sendMessage", 403, BLOCKED)
    await w.rt.sender.drain()
    assert len(w.api.calls_of("sendMessage")) == 1  # the one refused
    assert await w.statuses("telegram") == ["fallback", "dropped"]
    assert await w.sms.drain() == 1
    parts = w.fake.texts_to(PHONE)  # plain GSM-7, one segment each, numbered
    text = " ".join(parts)
    assert "PT Sinar Jaya" in text and "Foto buram" in text
    assert "PT Maju" not in text  # not essential: no SMS
    assert await w.spent() == len(parts) == w.fallback.segments(rejected()) == 2
    # The person writes on Telegram again (unblocked): the message is not sent twice.
    client = ChatClient(w.rt.app.engine, channel="telegram", user=str(CHAT))
    await client.send("menu")
    await w.rt.sender.drain()
    assert not [t for t in w.telegram_texts() if "PT Sinar Jaya" in t][1:]


async def test_a_403_without_a_linked_number_drops_as_before(w: World) -> None:
    await w.queue(rejected(), essential=True, key="r1")
    w.api.fail_next("sendMessage", 403, BLOCKED)
    await w.rt.sender.drain()
    assert await w.statuses("telegram") == ["dropped"]
    assert await w.statuses("sms") == []
    assert w.fallback.stats.no_channel == 1


async def test_undelivered_past_the_limit_goes_by_sms_once(w: World, clock: FrozenClock) -> None:
    await w.link("sms", PHONE)
    w.api.inject("sendMessage", "error", error_code=502, description="Bad Gateway")
    await w.queue(rejected(), essential=True, key="r1")
    await w.queue(accepted(), essential=False, key="a1")
    await w.rt.sender.drain()
    assert await w.statuses("telegram") == ["pending", "pending"]  # backing off
    clock.advance(minutes=59)
    assert await w.fallback.sweep() == 0  # not yet
    clock.advance(minutes=1)
    assert await w.fallback.sweep() == 1
    assert await w.fallback.sweep() == 0  # a second run finds nothing more
    assert await w.statuses("telegram") == ["fallback", "pending"]
    await w.sms.drain()
    assert len(w.fake.texts_to(PHONE)) == 2  # one message in two parts
    # Telegram recovers: the essential message does not come twice; the other one comes.
    tried = sum("PT Sinar Jaya" in t for t in w.telegram_texts())  # the 502s
    w.api.clear_faults()
    clock.advance(minutes=10)
    await w.rt.sender.drain()
    texts = w.telegram_texts()
    assert any("PT Maju" in t for t in texts)
    assert sum("PT Sinar Jaya" in t for t in texts) == tried
    assert await w.statuses("telegram") == ["fallback", "sent"]
    assert len(w.fake.texts_to(PHONE)) == 2


async def test_a_message_a_sender_holds_is_not_handed_over(w: World, clock: FrozenClock) -> None:
    """Telegram may still deliver it: handing it over too would send it twice."""
    await w.link("sms", PHONE)
    await w.queue(rejected(), essential=True, key="r1")
    now = clock()
    async with w.rt.app.db.write() as conn:
        held = await outbox.claim(conn, "telegram", now, owner="other", until=now.replace(
            year=now.year + 1))  # fmt: skip
    assert len(held) == 1
    clock.advance(hours=2)
    assert await w.fallback.sweep() == 0
    assert await w.statuses("sms") == []


async def test_whatsapp_before_sms(w: World, clock: FrozenClock) -> None:
    await w.link("sms", PHONE)
    await w.link("whatsapp", WHATSAPP, wrote=clock() - timedelta(hours=2))  # window open
    await w.queue(rejected(), essential=True, key="r1")
    w.api.fail_next("sendMessage", 403, BLOCKED)
    await w.rt.sender.drain()
    assert await w.statuses("whatsapp") == ["pending"]
    assert await w.statuses("sms") == []
    assert await w.spent() == 0  # WhatsApp costs no SMS budget


async def test_whatsapp_outside_its_window_without_a_template_is_skipped(
    w: World, clock: FrozenClock
) -> None:
    await w.link("sms", PHONE)
    await w.link("whatsapp", WHATSAPP, wrote=clock() - timedelta(hours=24))  # window closed
    await w.queue(rejected(), essential=True, key="r1")
    w.api.fail_next("sendMessage", 403, BLOCKED)
    await w.rt.sender.drain()
    assert await w.statuses("whatsapp") == []
    assert await w.statuses("sms") == ["pending"]


async def test_over_budget_no_sms_and_it_is_logged(
    settings: Settings, clock: FrozenClock, api: FakeBotAPI, fake: FakeSmsGateway,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    async for w in world(settings, clock, api, fake, person_monthly_budget=2):
        await w.link("sms", PHONE)
        long_reason = rejected("PT " + "Sinar Jaya Abadi Sentosa " * 6)
        segments = w.fallback.segments(long_reason)
        assert segments > 2
        await w.queue(rejected(), essential=True, key="r1")
        await w.queue(long_reason, essential=True, key="r2")
        with caplog.at_level(logging.WARNING, logger="scheduler.fallback"):
            w.api.fail_next("sendMessage", 403, BLOCKED)
            await w.rt.sender.drain()
        assert await w.statuses("sms") == ["pending"]  # the short one fits, the long not
        assert await w.statuses("telegram") == ["fallback", "dropped"]
        assert await w.spent() == 2
        assert "SMS budget exhausted" in caplog.text
        assert w.fallback.stats.over_budget == 1
        # A new month, a new budget.
        clock.now = datetime(2025, 7, 1, 3, 0, tzinfo=clock.now.tzinfo)
        await w.queue(rejected("PT Juli"), essential=True, key="r3")
        async with w.rt.app.db.write() as conn:
            await people.touch_identity(conn, 1, clock())  # they wrote again: unblocked
        w.api.fail_next("sendMessage", 403, BLOCKED)
        await w.rt.sender.drain()
        assert await w.statuses("sms") == ["pending", "pending"]


async def test_the_deployment_wide_budget_caps_too(
    settings: Settings, clock: FrozenClock, api: FakeBotAPI, fake: FakeSmsGateway
) -> None:
    async for w in world(settings, clock, api, fake, monthly_budget=0):
        await w.link("sms", PHONE)
        await w.queue(rejected(), essential=True, key="r1")
        w.api.fail_next("sendMessage", 403, BLOCKED)
        await w.rt.sender.drain()
        assert await w.statuses("sms") == []
        assert await w.statuses("telegram") == ["dropped"]


async def test_handing_over_races_a_sender_safely(w: World, clock: FrozenClock) -> None:
    """The row a sweep read may be claimed before it hands it over: the hand-over is
    conditional in one statement, so the sender's send is the only one."""
    await w.queue(rejected(), essential=True, key="r1")
    now = clock()
    async with w.rt.app.db.write() as conn:
        (item,) = await outbox.essential_pending(conn, now, channel="telegram",
                                                 created_before=now)  # fmt: skip
        claimed = await outbox.claim(conn, "telegram", now, owner="sender",
                                     until=now + timedelta(minutes=5))  # fmt: skip
        assert [c.id for c in claimed] == [item.id]
        assert await outbox.hand_over(conn, item.id, now, "sweep") is False
        assert await outbox.hand_over(conn, item.id, now, "the sender itself", held=True)
        assert await outbox.hand_over(conn, item.id, now, "twice") is False
    assert await w.statuses("telegram") == ["fallback"]


async def reviewed(w: World, status: str) -> int:
    """A piece of evidence as the review leaves it (bot/evidence/review.py), returns its id."""
    async with w.rt.app.db.write() as conn:
        row = await conn.execute(insert(table(EvidenceRow)).values(
            person_id=w.person, kind="application", company="PT Sinar Jaya",
            act_on=date(2025, 6, 2), status=status, reason="Foto buram", channel="telegram",
            created_at=w.clock(), near_duplicate=False,
        ).returning(table(EvidenceRow).c.id))  # fmt: skip
        return int(row.scalar_one())


async def test_system_events_reach_a_linked_number_only_through_the_fallback(
    w: World,
) -> None:
    """The real path of a rejected piece (an essential system event) for a person whose
    Telegram blocked the bot: queued for Telegram, the 403 hands it to SMS. An accepted
    piece (not essential) never goes to the number that never wrote."""
    await w.link("sms", PHONE)
    w.api.fail_next("sendMessage", 403, BLOCKED)
    await w.queue(accepted(), essential=False, key="a0")
    await w.rt.sender.drain()  # Telegram says blocked: the identity is marked
    assert await w.statuses("telegram") == ["dropped"]
    engine = w.rt.app.engine
    ok = await reviewed(w, "accepted")
    assert (
        await engine.handle_system(SystemEvent(w.person, ACCEPTED, {"evidence_id": ok}, key="ok"))
        == 0
    )  # not essential: nowhere to go
    bad = await reviewed(w, "rejected")
    assert (
        await engine.handle_system(
            SystemEvent(w.person, REJECTED, {"evidence_id": bad}, key="bad", essential=True)
        )
        == 1
    )
    w.api.fail_next("sendMessage", 403, BLOCKED)
    await w.rt.sender.drain()
    await w.sms.drain()
    text = " ".join(w.fake.texts_to(PHONE))
    assert "PT Sinar Jaya" in text and "Foto buram" in text
    assert await w.statuses("sms") == ["sent"]


async def test_the_sweep_runs_every_minute_only_with_sms(
    w: World, settings: Settings, clock: FrozenClock
) -> None:
    from scheduler.jobs import FALLBACK_JOB

    job = w.rt.jobs.get_job(FALLBACK_JOB)
    assert job is not None and job.func == w.fallback.sweep
    assert job.trigger.interval == timedelta(minutes=1)
    app = await build_app(settings, clock=clock)
    try:
        plain = TelegramRuntime(replace(app, settings=replace(
            settings, telegram_token=w.api.token, telegram_api_base=w.api.base_url)))  # fmt: skip
        assert plain.fallback is None and plain.sender.fallback is None
        assert plain.jobs.get_job(FALLBACK_JOB) is None
        await plain.bot.session.close()
    finally:
        await app.close()
