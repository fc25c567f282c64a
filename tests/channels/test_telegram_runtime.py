"""The Telegram runtime in process: polling and webhook never confirm an update before it is
stored, stop cleanly with the work in hand finished, and wait for Telegram at start with
one clear log line per try. (The same against real outages and real processes:
tests/faults/.)"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.app import build_app
from bot.channels.telegram import SECRET_HEADER, TelegramRuntime
from bot.core.types import InboundEvent
from bot.settings import Settings, SettingsError
from bot.storage.db import StorageUnavailable
from bot.storage.models import ProcessedEvent, table
from bot.testing.clock import FrozenClock
from bot.testing.fake_bot_api import FakeBotAPI, callback_update, text_update
from bot.testing.process import free_port

CHAT = 5550001
SECRET = "test-secret_0123456789"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def runtime(
    api: FakeBotAPI, settings: Settings, clock: FrozenClock
) -> AsyncIterator[TelegramRuntime]:
    tg_settings = replace(
        settings, telegram_token=api.token, telegram_api_base=api.base_url,
        telegram_chat_interval=0, webhook_url="http://127.0.0.1/hook", webhook_secret=SECRET,
    )  # fmt: skip
    app = await build_app(tg_settings, clock=clock)
    rt = TelegramRuntime(app)
    rt.poller.max_backoff = 0.05
    rt.poller.refetch_seconds = 0.1
    rt.startup_backoff = (0.01, 0.05)
    try:
        yield rt
    finally:
        rt.stop.set()
        await rt.bot.session.close()
        await app.close()


class Outage:
    """The engine's database fails (StorageUnavailable) while ``down`` is set; an update can
    also be held at the door until released."""

    def __init__(self, rt: TelegramRuntime) -> None:
        self.real = rt.app.engine.handle
        self.down = False
        self.refused = 0
        self.entered = asyncio.Event()
        self.gate: asyncio.Event | None = None
        rt.app.engine.handle = self.handle  # type: ignore[method-assign]

    async def handle(self, event: InboundEvent) -> int:
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            self.refused += 1
            raise StorageUnavailable("database is locked")
        return await self.real(event)


async def processed(rt: TelegramRuntime) -> list[str]:
    async with rt.app.db.read() as conn:
        return sorted(await conn.scalars(select(table(ProcessedEvent).c.event_id)))


async def until(condition: Callable[[], bool], api: FakeBotAPI) -> None:
    assert await api.wait_until(condition, 15), "condition not met in 15 s"


# -- polling ----------------------------------------------------------------------------
async def test_polling_keeps_an_update_until_the_database_takes_it(
    runtime: TelegramRuntime, api: FakeBotAPI
) -> None:
    task = asyncio.create_task(runtime.run_polling())
    api.push_update(text_update(CHAT, "/start"))
    await until(lambda: len(api.messages_to(CHAT)) == 2, api)

    outage = Outage(runtime)
    outage.down = True
    uid = api.push_update(text_update(CHAT, "setuju"))
    await until(lambda: outage.refused >= 3, api)
    offsets = [c.params.get("offset", 0) for c in api.calls_of("getUpdates")]
    assert max(offsets) <= uid  # never confirmed while it could not be stored
    assert [u["update_id"] for u in api.pending_updates] == [uid]
    outage.down = False
    await until(lambda: len(api.messages_to(CHAT)) == 4, api)

    runtime.stop.set()
    await asyncio.wait_for(task, 15)
    assert api.pending_updates == []  # confirmed on the way out
    assert "Persetujuan Anda sudah dicatat" in api.messages_to(CHAT)[2]
    assert str(uid) in await processed(runtime)


async def test_stop_finishes_the_update_in_hand(runtime: TelegramRuntime, api: FakeBotAPI) -> None:
    outage = Outage(runtime)
    outage.gate = asyncio.Event()
    task = asyncio.create_task(runtime.run_polling())
    uid = api.push_update(text_update(CHAT, "/start"))
    await asyncio.wait_for(outage.entered.wait(), 15)
    runtime.stop.set()  # SIGTERM while the answer is being worked out
    await asyncio.sleep(0.3)
    assert not task.done()
    outage.gate.set()
    await asyncio.wait_for(task, 15)
    assert str(uid) in await processed(runtime)
    assert api.pending_updates == []


async def test_stop_leaves_an_update_that_cannot_be_stored(
    runtime: TelegramRuntime, api: FakeBotAPI
) -> None:
    outage = Outage(runtime)
    outage.down = True
    task = asyncio.create_task(runtime.run_polling())
    uid = api.push_update(callback_update(CHAT, "consent:agree", message_id=1))
    await until(lambda: outage.refused >= 1, api)
    runtime.stop.set()
    await asyncio.wait_for(task, 15)
    assert [u["update_id"] for u in api.pending_updates] == [uid]  # Telegram keeps it
    assert await processed(runtime) == []
    assert not api.calls_of("answerCallbackQuery")


# -- webhook ----------------------------------------------------------------------------
async def post(server: TestServer, update: dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.make_url("/hook"), json=update, headers=headers) as r,
    ):
        return r.status


async def test_webhook_answers_200_only_once_stored(
    runtime: TelegramRuntime, api: FakeBotAPI
) -> None:
    update = {**text_update(CHAT, "/start"), "update_id": 41}
    async with TestServer(runtime.webhook_app()) as server:
        assert await post(server, update, secret=None) == 401
        assert await post(server, update, secret="wrong-secret-0123456789") == 401
        assert await post(server, {"update_id": "x"}) == 400
        assert await processed(runtime) == []

        outage = Outage(runtime)
        outage.down = True
        assert await post(server, update) == 503  # Telegram will deliver it again
        assert await processed(runtime) == []
        outage.down = False
        assert await post(server, update) == 200
        assert await processed(runtime) == ["41"]
        assert await post(server, update) == 200  # a redelivery: dropped, answered
    await runtime.sender.drain()
    assert len(api.messages_to(CHAT)) == 2


# -- start ------------------------------------------------------------------------------
async def test_start_waits_for_telegram_with_one_line_per_try(
    runtime: TelegramRuntime, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    api.inject("getMe", "drop", times=2)
    api.inject("deleteWebhook", "error", error_code=502, description="Bad Gateway", times=1)
    task = asyncio.create_task(runtime.run_polling())
    await api.wait_for("getUpdates", timeout=15)
    runtime.stop.set()
    await asyncio.wait_for(task, 15)
    waits = [r.getMessage() for r in caplog.records if "not reachable" in r.getMessage()]
    assert [w.split(":")[0] for w in waits] == [
        "Telegram is not reachable (getMe", "Telegram is not reachable (getMe",
        "Telegram is not reachable (deleteWebhook",
    ]  # fmt: skip
    assert not [r for r in caplog.records if r.exc_info]  # no traceback


async def test_a_signal_while_waiting_for_telegram_stops_cleanly(
    runtime: TelegramRuntime, api: FakeBotAPI
) -> None:
    api.inject("getMe", "drop")  # Telegram never answers
    task = asyncio.create_task(runtime.run_polling())
    await api.wait_for("getMe", count=2, timeout=15)
    runtime.stop.set()
    await asyncio.wait_for(task, 15)  # returns, no exception
    assert not api.calls_of("getUpdates")
    assert runtime.bot.session._session is None or runtime.bot.session._session.closed


async def test_a_refused_token_is_a_configuration_error(
    runtime: TelegramRuntime, api: FakeBotAPI
) -> None:
    api.inject("getMe", "error", error_code=401, description="Unauthorized")
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN was refused"):
        await asyncio.wait_for(runtime.run_polling(), 15)


async def test_sigterm_in_webhook_mode_finishes_the_request_in_flight(
    runtime: TelegramRuntime, api: FakeBotAPI
) -> None:
    port = free_port()
    runtime.app.settings = replace(
        runtime.app.settings, webhook_host="127.0.0.1", webhook_port=port,
        webhook_url=f"http://127.0.0.1:{port}/hook",
    )  # fmt: skip
    outage = Outage(runtime)
    outage.gate = asyncio.Event()
    task = asyncio.create_task(runtime.run_webhook())
    await api.wait_for("setWebhook", timeout=15)  # only once the port is open
    url = f"http://127.0.0.1:{port}/hook"
    update = {**text_update(CHAT, "/start"), "update_id": 77}
    async with aiohttp.ClientSession() as http:
        request = asyncio.ensure_future(
            http.post(url, json=update, headers={SECRET_HEADER: SECRET})
        )
        await asyncio.wait_for(outage.entered.wait(), 15)
        runtime.stop.set()  # SIGTERM while the update is being handled
        await asyncio.sleep(0.3)
        assert not task.done()
        with pytest.raises(aiohttp.ClientConnectionError):  # no new requests taken
            await http.post(url, json=update, headers={SECRET_HEADER: SECRET})
        outage.gate.set()
        response = await request
        assert response.status == 200
        response.release()
    await asyncio.wait_for(task, 15)
    assert await processed(runtime) == ["77"]
