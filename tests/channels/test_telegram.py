"""Telegram through real aiogram: Update JSON in, Bot API requests out (over HTTP to the fake
Bot API server that ships with the code)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any, Literal

import pytest
from aiogram.types import Update
from sqlalchemy import select

from bot.app import build_app
from bot.channels.telegram import TelegramRuntime, set_commands, split_text
from bot.settings import Settings
from bot.storage.models import Identity, OutboxMessage, table
from bot.testing.clock import FrozenClock
from bot.testing.db import stored_state
from bot.testing.fake_bot_api import (
    ApiCall,
    FakeBotAPI,
    bot_added_update,
    callback_update,
    channel_post_update,
    group_text_update,
    location_update,
    photo_update,
    sticker_update,
    text_update,
    voice_update,
)

CHAT = 5551234


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
        telegram_chat_interval=0,
    )  # fmt: skip
    app = await build_app(tg_settings, clock=clock)
    rt = TelegramRuntime(app)
    try:
        yield rt
    finally:
        await rt.bot.session.close()
        await app.close()


class Chat:
    """Feeds updates through the dispatcher and drains the outbox, like the running bot."""

    def __init__(self, rt: TelegramRuntime, api: FakeBotAPI) -> None:
        self.rt, self.api = rt, api
        self.update_id = 1000

    async def feed(self, update: dict[str, Any], update_id: int | None = None) -> list[ApiCall]:
        before = len(self.api.calls)
        if update_id is None:
            self.update_id += 1
            update_id = self.update_id
        await self.rt.dp.feed_update(
            self.rt.bot, Update.model_validate({**update, "update_id": update_id})
        )
        await self.rt.sender.drain()
        return self.api.calls[before:]

    async def text(self, text: str) -> list[ApiCall]:
        return await self.feed(text_update(CHAT, text))

    async def press(self, data: str) -> list[ApiCall]:
        """Press a button of the last message sent, as Telegram would report it."""
        last = self.api.calls_of("sendMessage")[-1]
        markup = last.params.get("reply_markup")
        payloads = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
        assert data in payloads, payloads
        return await self.feed(
            callback_update(
                CHAT, data, message_id=100, message_text=last.params["text"], reply_markup=markup
            )
        )


def sent(calls: list[ApiCall]) -> list[ApiCall]:
    return [c for c in calls if c.method == "sendMessage"]


def buttons(call: ApiCall) -> list[list[str]]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return [[b["callback_data"] for b in row] for row in markup["inline_keyboard"]]


@pytest.fixture
def chat(runtime: TelegramRuntime, api: FakeBotAPI) -> Chat:
    return Chat(runtime, api)


async def test_start_shows_welcome_and_consent_buttons(chat: Chat) -> None:
    calls = sent(await chat.text("/start"))
    assert len(calls) == 2
    assert calls[0].params["chat_id"] == CHAT
    assert "Pendamping JKP" in calls[0].params["text"]
    assert "UU 27/2022" in calls[1].params["text"]
    assert buttons(calls[1]) == [["consent:agree"], ["consent:decline"], ["consent:notice"]]


async def test_button_press_is_acknowledged_and_marked(chat: Chat, api: FakeBotAPI) -> None:
    await chat.text("/start")
    calls = await chat.press("consent:agree")
    methods = [c.method for c in calls]
    assert methods[:2] == ["answerCallbackQuery", "editMessageText"]
    edit = calls[1]
    assert edit.params["text"].endswith("» Setuju")
    assert "reply_markup" not in edit.params or not edit.params["reply_markup"]
    replies = sent(calls)
    assert "Terima kasih" in replies[0].params["text"]
    assert buttons(replies[1])[0] == ["menu:eligibility"]


async def test_question_has_navigation_row(chat: Chat) -> None:
    await chat.text("/start")
    await chat.press("consent:agree")
    calls = sent(await chat.press("menu:eligibility"))
    rows = buttons(calls[-1])
    assert rows[:3] == [["laid_off:yes"], ["laid_off:no"], ["laid_off:unknown"]]
    assert rows[-1] == ["/back", "/menu"]


@pytest.mark.parametrize(
    "update",
    [sticker_update(CHAT), voice_update(CHAT), location_update(CHAT), photo_update(CHAT)],
    ids=["sticker", "voice", "location", "photo"],
)
async def test_media_gets_a_friendly_reprompt(chat: Chat, update: dict[str, Any]) -> None:
    await chat.text("/start")
    await chat.press("consent:agree")
    await chat.press("menu:eligibility")
    await chat.press("laid_off:yes")
    calls = sent(await chat.feed(update))
    assert len(calls) == 1
    assert "stiker" in calls[0].params["text"]
    assert "alasan" in calls[0].params["text"]  # the same question again
    assert buttons(calls[0])[0] == ["reason:employer"]


async def test_typed_answers_work_on_telegram(chat: Chat) -> None:
    await chat.text("/start")
    await chat.text("setuju")
    await chat.text("/menu")
    await chat.press("menu:eligibility")
    calls = sent(await chat.text("iya"))
    assert "alasan" in calls[0].params["text"]
    calls = sent(await chat.text("Tidak tahu"))  # the button's title, typed
    assert "Warga Negara Indonesia" in calls[0].params["text"]  # asked after the reason


async def test_redelivered_update_is_processed_once(chat: Chat) -> None:
    first = sent(await chat.feed(text_update(CHAT, "/start"), update_id=77))
    again = sent(await chat.feed(text_update(CHAT, "/start"), update_id=77))
    assert len(first) == 2
    assert again == []


async def test_rate_limit_waits_retry_after(
    chat: Chat, api: FakeBotAPI, clock: FrozenClock, runtime: TelegramRuntime
) -> None:
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    calls = await chat.text("/start")
    assert [c.method for c in calls] == ["sendMessage"]  # the 429, nothing more
    await runtime.sender.drain()
    assert len(api.calls_of("sendMessage")) == 1  # still waiting
    clock.advance(seconds=3)
    await runtime.sender.drain()
    texts = [c.params["text"] for c in api.calls_of("sendMessage")]
    assert len(texts) == 3 and texts[0] == texts[1]  # retried, then the next one, in order


async def test_blocked_user_is_marked_and_not_sent_to(
    chat: Chat, api: FakeBotAPI, runtime: TelegramRuntime
) -> None:
    api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await chat.text("/start")
    assert len(api.calls_of("sendMessage")) == 1
    async with runtime.app.db.read() as conn:
        blocked = (await conn.execute(select(table(Identity).c.blocked))).scalar_one()
        statuses = list(await conn.scalars(select(table(OutboxMessage).c.status)))
    assert blocked is True
    assert statuses == ["dropped", "dropped"]
    await chat.text("halo")  # writing again unblocks
    async with runtime.app.db.read() as conn:
        assert (await conn.execute(select(table(Identity).c.blocked))).scalar_one() is False


async def test_commands_are_registered(runtime: TelegramRuntime, api: FakeBotAPI) -> None:
    await set_commands(runtime.bot, runtime.app.engine.domain)
    (call,) = api.calls_of("setMyCommands")
    names = [c["command"] for c in call.params["commands"]]
    assert names == ["start", "menu", "kembali", "batal", "bantuan", "petugas", "data", "hapus",
                     "stop", "mulai"]  # fmt: skip
    assert all(c["description"] for c in call.params["commands"])


def test_long_text_is_split_within_telegram_limits() -> None:
    text = ("kalimat " * 100 + "\n\n") * 20
    chunks = split_text(text)
    assert all(len(c) <= 4096 for c in chunks)
    assert "".join(chunks).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )
    assert split_text("x" * 9000) == ["x" * 4096, "x" * 4096, "x" * 808]


async def test_profile_photo_keeps_the_largest_file_id(
    chat: Chat, runtime: TelegramRuntime
) -> None:
    await chat.text("/start")
    await chat.press("consent:agree")
    await chat.press("menu:profile")
    calls = sent(await chat.press("profile:photo"))
    assert "Kirim satu foto" in calls[0].params["text"]
    assert buttons(calls[0])[0] == ["profile:home"]
    calls = sent(await chat.feed(photo_update(CHAT)))
    assert calls[0].params["text"].startswith("Tersimpan: Foto diri.")
    assert "11% lengkap" in calls[0].params["text"]  # one line and the next step
    from bot.records.store import load_profile
    from bot.testing.db import snapshot

    snap = await snapshot(runtime.app, "telegram", str(CHAT))
    assert snap is not None
    async with runtime.app.db.read() as conn:
        profile = await load_profile(conn, snap.person.id)
    assert profile.sections["photo"] == ({"pf_photo": "AgACAgUAAxkBAAIBRWZfakePhoto1280"},)
    state = await stored_state(runtime.app, "telegram", str(CHAT))
    assert "sections" not in state["dialogs"].get("profile", {})


@pytest.mark.parametrize("text", ["@budi", "/start@jkp_test_bot", "   ", "/"])
async def test_odd_texts_get_a_reply(chat: Chat, text: str) -> None:
    calls = sent(await chat.text(text))
    assert calls, text


# -- private chats only -------------------------------------------------------------------
GROUP, MEMBER_1, MEMBER_2 = -4001, 6001, 6002


async def stored_rows(rt: TelegramRuntime) -> dict[str, int]:
    """Rows in every table (but the app's own secrets), by table."""
    from sqlalchemy import func

    from bot.storage.models import Base

    out = {}
    async with rt.app.db.read() as conn:
        for name, tbl in Base.metadata.tables.items():
            if name != "app_secrets":
                out[name] = int(await conn.scalar(select(func.count()).select_from(tbl)) or 0)
    return out


async def nothing_stored(rt: TelegramRuntime) -> None:
    rows = await stored_rows(rt)
    assert rows and not any(rows.values()), rows


@pytest.mark.parametrize("kind", ["group", "supergroup"])
async def test_a_group_is_answered_once_and_left_with_nothing_stored(
    chat: Chat, api: FakeBotAPI, runtime: TelegramRuntime, kind: Literal["group", "supergroup"]
) -> None:
    group = GROUP if kind == "group" else -1_000_000_4001
    # Member 1 starts and agrees; member 2 asks for "their" data.
    await chat.feed(group_text_update(group, MEMBER_1, "/start", kind=kind))
    await chat.feed(group_text_update(group, MEMBER_1, "setuju", kind=kind))
    await chat.feed(group_text_update(group, MEMBER_2, "/data", kind=kind))
    await chat.feed(group_text_update(group, MEMBER_2, "hapus", kind=kind))
    await nothing_stored(runtime)
    (reply,) = api.calls_of("sendMessage")  # once, straight to the Bot API
    assert reply.params["chat_id"] == group
    assert "chat pribadi" in reply.params["text"]
    assert f"https://t.me/{api.bot_username}" in reply.params["text"]
    assert group in api.left_chats
    # Member 1 in private is a conversation of their own, unaffected.
    await chat.feed(text_update(MEMBER_1, "/start"))
    assert len(api.messages_to(MEMBER_1)) == 2
    assert (await stored_rows(runtime))["persons"] == 1


async def test_a_channel_post_and_being_added_store_nothing(
    chat: Chat, api: FakeBotAPI, runtime: TelegramRuntime
) -> None:
    await chat.feed(bot_added_update(-1_000_000_5001, MEMBER_1, kind="channel"))
    await chat.feed(channel_post_update(-1_000_000_5001, "Info lowongan hari ini"))
    await chat.feed(bot_added_update(GROUP, MEMBER_1))
    await chat.feed(bot_added_update(GROUP, MEMBER_1, status="left"))  # our own leaving
    await nothing_stored(runtime)
    assert [c.params["chat_id"] for c in api.calls_of("sendMessage")] == [
        -1_000_000_5001, GROUP,
    ]  # fmt: skip
    assert api.left_chats == [-1_000_000_5001, GROUP]


async def test_a_staff_group_is_served_by_its_own_router(
    api: FakeBotAPI, runtime: TelegramRuntime
) -> None:
    from aiogram import Router
    from aiogram.types import Message

    from bot.channels.telegram import PrivateOnly, build_dispatcher

    seen: list[str] = []
    staff = Router(name="staff")

    @staff.message()
    async def on_staff(message: Message) -> None:
        seen.append(message.text or "")

    guard = PrivateOnly(runtime.app.engine.domain, allowed={GROUP})
    dp = build_dispatcher(runtime.app, guard, routers=[staff])
    for update_id, update in enumerate([group_text_update(GROUP, MEMBER_1, "halo"),
                                        group_text_update(-4002, MEMBER_1, "halo")]):  # fmt: skip
        await dp.feed_update(runtime.bot, Update.model_validate({**update, "update_id": update_id}))
    assert seen == ["halo"]  # the staff group's, not the other group's
    await nothing_stored(runtime)
    assert api.left_chats == [-4002]


async def test_no_update_is_filtered_in_a_thread(
    chat: Chat, api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiogram runs a filter that is not a coroutine function in a thread, for every update
    it checks (``asyncio.to_thread``): the bot's filters are coroutine functions, so a
    private text, a button press and a group's message never leave the event loop."""
    from_filters: list[Any] = []
    to_thread = asyncio.to_thread

    async def counted(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_code.co_filename.endswith(os.path.join("event", "handler.py")):
            from_filters.append(fn)
        return await to_thread(fn, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    await chat.text("/start")
    await chat.press("consent:agree")
    await chat.feed(group_text_update(GROUP, MEMBER_1, "halo"))
    assert from_filters == []
    assert len(sent(api.calls)) >= 4  # (they were answered)


# -- delivery errors ----------------------------------------------------------------------
async def test_a_message_telegram_refuses_is_dropped_alone(
    chat: Chat, api: FakeBotAPI, runtime: TelegramRuntime
) -> None:
    api.fail_next("sendMessage", 400, "Bad Request: can't parse entities")
    await chat.text("/start")
    assert len(api.messages_to(CHAT)) == 1  # the second message went; the chat did not stall
    async with runtime.app.db.read() as conn:
        rows = (await conn.execute(select(table(OutboxMessage).c.status,
                                          table(OutboxMessage).c.last_error))).all()  # fmt: skip
    assert sorted(r.status for r in rows) == ["dropped", "sent"]
    assert runtime.sender.stats.dropped == 1


@pytest.mark.parametrize(
    ("kind", "code"), [("error", 500), ("error", 502), ("html", 502), ("drop", 0)]
)
async def test_server_and_network_errors_are_retried_in_order(
    chat: Chat, api: FakeBotAPI, runtime: TelegramRuntime, clock: FrozenClock,
    kind: Literal["error", "html", "drop"], code: int,
) -> None:  # fmt: skip
    api.inject("sendMessage", kind, error_code=code or 500, description="Bad Gateway", times=2)
    await chat.text("/start")
    assert api.messages_to(CHAT) == []  # the chat waits behind its first message
    for _ in range(10):
        clock.advance(seconds=30)
        await runtime.sender.drain()
    texts = api.messages_to(CHAT)
    assert len(texts) == 2 and "Pendamping JKP" in texts[0] and "UU 27/2022" in texts[1]
    assert runtime.sender.stats.retried == 2 and runtime.sender.stats.dropped == 0


@pytest.mark.parametrize(
    "description", ["Bad Request: chat not found", "Forbidden: user is deactivated"]
)
async def test_a_chat_that_is_gone_stops_its_queue(
    chat: Chat, api: FakeBotAPI, runtime: TelegramRuntime, description: str
) -> None:
    api.fail_next("sendMessage", 403 if "Forbidden" in description else 400, description)
    await chat.text("/start")
    async with runtime.app.db.read() as conn:
        statuses = list(await conn.scalars(select(table(OutboxMessage).c.status)))
        blocked = (await conn.execute(select(table(Identity).c.blocked))).scalar_one()
    assert statuses == ["dropped", "dropped"] and blocked is True


async def test_a_hung_request_cannot_outlive_the_lease(
    runtime: TelegramRuntime, api: FakeBotAPI
) -> None:
    from bot.channels.telegram import TelegramDelivery
    from bot.core.types import say

    assert runtime.bot.session.timeout <= runtime.app.settings.outbox_lease_seconds / 2
    api.inject("sendMessage", "hang", times=1)
    deliver = TelegramDelivery(runtime.bot, runtime.app.engine.domain, deadline=0.3)
    with pytest.raises(TimeoutError):  # transient: the sender backs off and tries again
        await deliver(str(CHAT), say("utter_error"))
    await deliver(str(CHAT), say("utter_error"))
    assert len(api.messages_to(CHAT)) == 1
