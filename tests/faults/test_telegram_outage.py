"""Telegram fails for 10 minutes — 5xx, an HTML error page from a proxy, dropped connections,
hanging requests — then recovers. The sender runs on the test's clock (its ``clock``,
``monotonic`` and ``sleep`` are injected), so the ten minutes pass in a few seconds:
0 messages lost, none sent twice, order kept per chat, and a chat Telegram serves meanwhile
is not held up by the others."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from bot.app import App
from bot.channels.telegram import CHANNEL, TelegramDelivery, make_bot
from bot.core.types import EventKind, InboundEvent
from bot.testing.clock import FrozenClock
from bot.testing.fake_bot_api import FakeBotAPI
from scheduler.outbox import OutboxSender

OUTAGE = 600.0  # seconds
HEALTHY, ERRORS, HTML, DROPS, HANGS = 8001, 8002, 8003, 8004, 8005


@pytest.fixture
async def api(clock: FrozenClock) -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(clock=lambda: clock.now.timestamp()) as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    client = make_bot(api.token, api.base_url, timeout=0.5)  # a hung request gives up soon
    try:
        yield client
    finally:
        await client.session.close()


async def test_ten_minutes_of_telegram_failures_lose_nothing(
    app: App, clock: FrozenClock, api: FakeBotAPI, bot: Bot
) -> None:
    chats = (HEALTHY, ERRORS, HTML, DROPS, HANGS)
    for n, text in enumerate(("/start", "setuju", "/menu", "/bantuan")):
        for chat in chats:
            event_id = f"{chat}-{n}"
            event = InboundEvent(CHANNEL, str(chat), EventKind.TEXT, text=text, event_id=event_id)
            await app.engine.handle(event)

    end = clock.now.timestamp() + OUTAGE

    def to(chat: int) -> object:
        return lambda c: c.params["chat_id"] == chat

    api.inject("sendMessage", "hang", times=3, when=to(HANGS))
    for chat, kind, code in ((ERRORS, "error", 502), (HTML, "html", 502), (DROPS, "drop", 0),
                             (HANGS, "error", 504)):  # fmt: skip
        api.inject("sendMessage", kind, error_code=code or 500, description="Bad Gateway",
                   until=end, when=to(chat))  # type: ignore[arg-type]  # fmt: skip

    async def sleep(seconds: float) -> None:  # the sender waits on the test's clock
        clock.advance(seconds=seconds)

    sender = OutboxSender(
        app.db, CHANNEL, TelegramDelivery(bot, app.engine.domain, deadline=2.0), clock,
        per_second=25, chat_interval=1.0, chat_burst=3,
        monotonic=lambda: clock.now.timestamp(), sleep=sleep, rng=random.Random(6),
    )  # fmt: skip

    await sender.drain()
    healthy = api.messages_to(HEALTHY)
    assert len(healthy) == 6  # all of them at once: the failing chats hold nobody up
    while clock.now.timestamp() < end:
        assert all(api.messages_to(chat) == [] for chat in chats[1:])
        clock.advance(seconds=20)
        await sender.drain()
    for _ in range(60):  # ten more minutes: backoff is capped at 5 minutes
        clock.advance(seconds=10)
        await sender.drain()

    for chat in chats[1:]:
        assert api.messages_to(chat) == healthy, chat  # everything, once, in order
    assert sender.stats.expired == sender.stats.dropped == 0
    assert sender.stats.retried >= 4 * 5  # each failing chat was tried again and again
    tries = [c for c in api.calls_of("sendMessage") if c.params["chat_id"] == ERRORS]
    assert 5 <= len(tries) <= 30  # backed off, not hammered every 20 s
