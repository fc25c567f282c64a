"""Tests for the fake Bot API server, driven by a real aiogram Bot over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from bot.testing.fake_bot_api import (
    MAX_DOWNLOAD_BYTES,
    ApiCall,
    FakeBotAPI,
    album_updates,
    bot_added_update,
    callback_update,
    channel_post_update,
    document_update,
    group_text_update,
    location_update,
    photo_update,
    sticker_update,
    text_update,
    voice_update,
)

CHAT_ID = 4242


def make_bot(api: FakeBotAPI, token: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))
    return Bot(token or api.token, session=session)


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest_asyncio.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    client = make_bot(api)
    try:
        yield client
    finally:
        await client.session.close()


def keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Ya", callback_data="yes")],
            [InlineKeyboardButton(text="Tidak", callback_data="no")],
        ]
    )


@pytest.mark.asyncio
async def test_base_url_and_lifecycle() -> None:
    server = FakeBotAPI()
    with pytest.raises(RuntimeError):
        _ = server.base_url
    await server.start()
    try:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.port > 0
    finally:
        await server.stop()
    await server.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = server.base_url


@pytest.mark.asyncio
async def test_get_me_round_trip(api: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot is True
    assert me.id == 123456
    assert me.username == "jkp_test_bot"
    assert me.first_name
    assert [c.method for c in api.calls] == ["getMe"]


@pytest.mark.asyncio
async def test_send_message_records_decoded_params(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT_ID, "Halo! Pilih salah satu:", reply_markup=keyboard())

    assert isinstance(sent, Message)
    assert sent.message_id == 1
    assert sent.chat.id == CHAT_ID
    assert sent.text == "Halo! Pilih salah satu:"
    assert sent.from_user is not None and sent.from_user.username == "jkp_test_bot"
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[1][0].callback_data == "no"

    (call,) = api.calls_of("sendMessage")
    assert call.params["chat_id"] == CHAT_ID
    assert isinstance(call.params["chat_id"], int)
    assert call.params["text"] == "Halo! Pilih salah satu:"
    markup = call.params["reply_markup"]
    assert isinstance(markup, dict)
    assert markup["inline_keyboard"][0][0] == {"text": "Ya", "callback_data": "yes"}

    second = await bot.send_message(CHAT_ID, "Kedua")
    assert second.message_id == 2
    assert second.reply_markup is None
    assert api.sent_texts(CHAT_ID) == ["Halo! Pilih salah satu:", "Kedua"]
    assert api.sent_texts(999) == []


@pytest.mark.asyncio
async def test_edit_message_text_and_markup(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT_ID, "Pertanyaan 1", reply_markup=keyboard())
    edited = await bot.edit_message_text(
        text="Pertanyaan 1 — dijawab", chat_id=CHAT_ID, message_id=sent.message_id
    )
    assert isinstance(edited, Message)
    assert edited.message_id == sent.message_id
    assert edited.text == "Pertanyaan 1 — dijawab"

    cleared = await bot.edit_message_reply_markup(
        chat_id=CHAT_ID, message_id=sent.message_id, reply_markup=keyboard()
    )
    assert isinstance(cleared, Message)
    assert cleared.text == "Pertanyaan 1 — dijawab"
    assert cleared.reply_markup is not None

    (call,) = api.calls_of("editMessageText")
    assert call.params["message_id"] == sent.message_id
    assert api.sent_texts(CHAT_ID) == ["Pertanyaan 1", "Pertanyaan 1 — dijawab"]


@pytest.mark.asyncio
async def test_simple_true_methods(api: FakeBotAPI, bot: Bot) -> None:
    assert await bot.answer_callback_query("cb-1", text="OK") is True
    assert await bot.set_my_commands([]) is True
    assert await bot.delete_my_commands() is True
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert await bot.send_chat_action(CHAT_ID, "typing") is True
    info = await bot.get_webhook_info()
    assert info.url == ""
    assert info.pending_update_count == 0
    methods = [c.method for c in api.calls]
    assert methods == [
        "answerCallbackQuery",
        "setMyCommands",
        "deleteMyCommands",
        "deleteWebhook",
        "sendChatAction",
        "getWebhookInfo",
    ]


@pytest.mark.asyncio
async def test_pushed_update_is_returned_and_parsed(api: FakeBotAPI, bot: Bot) -> None:
    update_id = api.push_update(text_update(CHAT_ID, "/start"))
    assert update_id == 1

    updates = await bot.get_updates(timeout=1)
    assert len(updates) == 1
    update = updates[0]
    assert update.update_id == update_id
    assert isinstance(update.message, Message)
    assert update.message.text == "/start"
    assert update.message.chat.id == CHAT_ID
    assert update.message.from_user is not None
    assert update.message.from_user.first_name == "Budi"
    assert update.message.entities is not None
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/start")


@pytest.mark.asyncio
async def test_offset_confirmation_drops_old_updates(api: FakeBotAPI, bot: Bot) -> None:
    first = api.push_update(text_update(CHAT_ID, "satu"))
    second = api.push_update(text_update(CHAT_ID, "dua"))
    assert second == first + 1
    assert api.push_update({"update_id": 50, **text_update(CHAT_ID, "tiga")}) == 50
    assert api.push_update(text_update(CHAT_ID, "empat")) == 51

    everything = await bot.get_updates()
    assert [u.update_id for u in everything] == [first, second, 50, 51]

    limited = await bot.get_updates(limit=1)
    assert [u.update_id for u in limited] == [first]

    rest = await bot.get_updates(offset=second + 1)
    assert [u.update_id for u in rest] == [50, 51]

    # Confirmed updates are gone for good, even without an offset.
    again = await bot.get_updates()
    assert [u.update_id for u in again] == [50, 51]

    assert await bot.get_updates(offset=52) == []
    assert api.pending_updates == []
    (offset_call,) = [c for c in api.calls_of("getUpdates") if c.params.get("offset") == 52]
    assert isinstance(offset_call.params["offset"], int)


@pytest.mark.asyncio
async def test_long_poll_waits_for_push_and_caps_timeout(api: FakeBotAPI, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for("getUpdates")
    await asyncio.sleep(0.05)
    assert not poll.done()
    api.push_update(text_update(CHAT_ID, "halo"))
    updates = await asyncio.wait_for(poll, 1.5)
    assert [u.message.text for u in updates if u.message] == ["halo"]

    # Asked to wait 30 s, the fake answers [] after its cap (2 s) instead.
    later = bot.get_updates(offset=updates[-1].update_id + 1, timeout=30)
    assert await asyncio.wait_for(later, 10) == []


@pytest.mark.asyncio
async def test_fail_next_429_raises_retry_after(api: FakeBotAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as excinfo:
        await bot.send_message(CHAT_ID, "spam")
    assert excinfo.value.retry_after == 7

    # Only the next call fails; the failed call is still recorded.
    sent = await bot.send_message(CHAT_ID, "spam lagi")
    assert sent.text == "spam lagi"
    assert [c.params["text"] for c in api.calls_of("sendMessage")] == ["spam", "spam lagi"]
    assert api.sent_texts(CHAT_ID) == ["spam lagi"]


@pytest.mark.asyncio
async def test_fail_next_403_raises_forbidden(api: FakeBotAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(TelegramForbiddenError) as excinfo:
        await bot.send_message(CHAT_ID, "halo")
    assert "blocked by the user" in excinfo.value.message
    # Other methods are unaffected.
    assert (await bot.get_me()).username == "jkp_test_bot"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_injected_faults_for_some_calls_or_a_time_window() -> None:
    clock = Clock()
    async with FakeBotAPI(clock=clock) as api:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url), timeout=0.5)
        bot = Bot(api.token, session=session)
        try:
            api.inject("sendMessage", "error", error_code=502, description="Bad Gateway",
                       until=clock() + 600, when=lambda c: c.params["chat_id"] == 1)  # fmt: skip
            api.inject("sendMessage", "html", error_code=502, times=1)
            api.inject("sendMessage", "drop", times=1)
            api.inject("sendMessage", "hang", times=1)
            with pytest.raises(TelegramServerError):
                await bot.send_message(1, "a")
            with pytest.raises(ClientDecodeError):  # an HTML page from a proxy
                await bot.send_message(2, "b")
            with pytest.raises(TelegramNetworkError, match="Disconnected"):
                await bot.send_message(2, "c")
            with pytest.raises(TelegramNetworkError, match="timeout"):
                await bot.send_message(2, "d")
            assert (await bot.send_message(2, "e")).text == "e"  # those were used up
            with pytest.raises(TelegramServerError):
                await bot.send_message(1, "f")  # still inside the window
            clock.now += 600
            assert (await bot.send_message(1, "g")).text == "g"
            assert api.messages_to(1) == ["g"] and api.messages_to(2) == ["e"]
            assert [c.params["text"] for c in api.calls_of("sendMessage")] == list("abcdefg")

            api.inject("getMe", "delay", seconds=0.2, times=1)
            loop = asyncio.get_running_loop()
            began = loop.time()
            await bot.get_me()
            assert loop.time() - began >= 0.2
        finally:
            await bot.session.close()


async def test_leave_chat_and_group_updates(api: FakeBotAPI, bot: Bot) -> None:
    assert await bot.leave_chat(-100123)
    assert api.left_chats == [-100123]
    group = validate(group_text_update(-5, 7, "/start", kind="supergroup")).message
    assert group is not None and group.chat.type == "supergroup" and group.from_user is not None
    assert group.from_user.id == 7 and group.entities is not None
    post = validate(channel_post_update(-1009, "halo")).channel_post
    assert post is not None and post.chat.type == "channel"
    added = validate(bot_added_update(-5, 7)).my_chat_member
    assert added is not None and added.new_chat_member.status == "member"
    assert added.chat.type == "group"


async def test_delivered_updates_are_recorded(api: FakeBotAPI, bot: Bot) -> None:
    first = api.push_update(text_update(CHAT_ID, "satu"))
    await bot.get_updates(timeout=0)
    await bot.get_updates(timeout=0)  # not confirmed: delivered again
    assert api.delivered_updates == [first, first]


@pytest.mark.asyncio
async def test_wrong_token_is_unauthorized(api: FakeBotAPI) -> None:
    intruder = make_bot(api, token="999999:WRONG-TOKEN")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await intruder.get_me()
    finally:
        await intruder.session.close()
    assert api.calls == []


@pytest.mark.asyncio
async def test_raw_http_unknown_method_json_and_multipart(api: FakeBotAPI) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{api.base_url}/bot{api.token}"
        async with http.post(f"{url}/frobnicate") as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.get(f"{url.replace('123456', '1')}/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.get(f"{url}/getMe") as resp:
            body = await resp.json()
            assert body["ok"] is True
            assert body["result"]["is_bot"] is True

        payload = {"chat_id": "77", "text": "json", "reply_markup": {"inline_keyboard": []}}
        async with http.post(f"{url}/sendMessage", json=payload) as resp:
            body = await resp.json()
            assert body["ok"] is True
            assert body["result"]["chat"] == {"id": 77, "type": "private", "first_name": "Test"}

        form = aiohttp.FormData()
        form.add_field("chat_id", "-100123")
        form.add_field("text", "[not json")
        form.add_field("reply_markup", json.dumps({"keyboard": [[{"text": "A"}]]}))
        form.add_field("document", b"abc", filename="cv.pdf", content_type="application/pdf")
        async with http.post(f"{url}/sendMessage", data=form) as resp:
            body = await resp.json()
            assert body["ok"] is True
            # Only inline keyboards are echoed back, as on the real server.
            assert "reply_markup" not in body["result"]
            assert body["result"]["chat"]["type"] == "supergroup"

        async with http.post(f"{url}/sendMessage", data={"chat_id": "5"}) as resp:
            assert resp.status == 400

    json_call, multipart_call, empty_call = api.calls_of("sendMessage")
    assert json_call.params["chat_id"] == 77
    assert multipart_call.params["chat_id"] == -100123
    assert multipart_call.params["text"] == "[not json"
    assert multipart_call.params["reply_markup"] == {"keyboard": [[{"text": "A"}]]}
    assert multipart_call.params["document"]["filename"] == "cv.pdf"
    assert multipart_call.params["document"]["size"] == 3
    assert empty_call.params == {"chat_id": 5}
    assert [c.method for c in api.calls][:2] == ["frobnicate", "getMe"]


@pytest.mark.asyncio
async def test_wait_for_and_helpful_timeout(api: FakeBotAPI, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(CHAT_ID, "pertama")
        await bot.send_message(CHAT_ID, "kedua")

    task = asyncio.create_task(later())
    calls = await api.wait_for("sendMessage", count=2, timeout=5)
    await task
    assert [c.params["text"] for c in calls] == ["pertama", "kedua"]

    found = await api.wait_for("sendmessage", predicate=lambda c: c.params["text"] == "kedua")
    assert len(found) == 1 and isinstance(found[0], ApiCall)

    with pytest.raises(TimeoutError) as excinfo:
        await api.wait_for("editMessageText", timeout=0.2)
    message = str(excinfo.value)
    assert "editMessageText" in message
    assert "sendMessage x2" in message
    assert "'kedua'" in message


@pytest.mark.asyncio
async def test_dispatcher_polling_end_to_end(api: FakeBotAPI) -> None:
    bot = make_bot(api)
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        name = message.from_user.first_name if message.from_user else "?"
        await message.answer(f"Selamat datang, {name}")

    @dp.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        api.push_update(text_update(CHAT_ID, "/start"))
        (reply,) = await api.wait_for("sendMessage", timeout=5)
        assert reply.params["text"] == "Selamat datang, Budi"
        api.push_update(callback_update(CHAT_ID, "yes", message_id=1))
        await api.wait_for("answerCallbackQuery", timeout=5)
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)
        await bot.session.close()
    assert api.calls[0].method == "getMe"
    assert api.sent_texts(CHAT_ID) == ["Selamat datang, Budi"]


def validate(data: dict[str, Any], update_id: int = 1) -> Update:
    return Update.model_validate({"update_id": update_id, **data})


def test_callback_update_parses_as_callback_query() -> None:
    markup = keyboard().model_dump(exclude_none=True)
    update = validate(
        callback_update(CHAT_ID, "yes", message_id=10, message_text="Mau?", reply_markup=markup)
    )
    query = update.callback_query
    assert isinstance(query, CallbackQuery)
    assert query.data == "yes"
    assert query.from_user.id == CHAT_ID
    assert query.chat_instance
    assert isinstance(query.message, Message)
    assert query.message.message_id == 10
    assert query.message.text == "Mau?"
    assert query.message.reply_markup is not None


def test_text_update_builder() -> None:
    plain = validate(text_update(CHAT_ID, "halo", message_id=5, first_name="Siti"))
    assert plain.message is not None
    assert plain.message.message_id == 5
    assert plain.message.entities is None
    assert plain.message.chat.type == "private"
    assert plain.message.chat.first_name == "Siti"

    command = validate(text_update(CHAT_ID, "/lapor sudah melamar"))
    assert command.message is not None
    assert command.message.entities is not None
    assert command.message.entities[0].length == len("/lapor")

    other = validate(text_update(CHAT_ID, "lagi"))
    assert other.message is not None and command.message.message_id != other.message.message_id


def test_media_updates_parse() -> None:
    sticker = validate(sticker_update(CHAT_ID)).message
    assert sticker is not None and sticker.sticker is not None
    assert sticker.sticker.type == "regular"

    voice = validate(voice_update(CHAT_ID)).message
    assert voice is not None and voice.voice is not None
    assert voice.voice.duration > 0

    location = validate(location_update(CHAT_ID)).message
    assert location is not None and location.location is not None
    assert location.location.latitude == pytest.approx(-6.2088)

    photo = validate(photo_update(CHAT_ID, caption="KTP saya")).message
    assert photo is not None and photo.photo is not None
    assert len(photo.photo) == 3
    assert photo.caption == "KTP saya"
    uncaptioned = validate(photo_update(CHAT_ID)).message
    assert uncaptioned is not None and uncaptioned.caption is None


def test_document_and_album_updates_parse() -> None:
    document = validate(
        document_update(CHAT_ID, file_id="BQACx", mime_type="image/heic", file_size=1234)
    ).message
    assert document is not None and document.document is not None
    assert (document.document.file_id, document.document.mime_type) == ("BQACx", "image/heic")
    assert document.document.file_size == 1234
    assert document.photo is None

    album = [
        validate(u, n).message
        for n, u in enumerate(album_updates(CHAT_ID, ["a", "b"], caption="Bukti"), 1)
    ]
    assert [m.media_group_id for m in album if m] == ["13579246801357924"] * 2
    assert [m.caption for m in album if m] == ["Bukti", None]
    assert [m.photo[-1].file_id for m in album if m and m.photo] == ["a", "b"]

    sized = validate(photo_update(CHAT_ID, file_id="AgACz", file_size=99)).message
    assert sized is not None and sized.photo is not None
    assert (sized.photo[-1].file_id, sized.photo[-1].file_size) == ("AgACz", 99)
    assert sized.media_group_id is None


async def test_get_file_and_the_file_url(api: FakeBotAPI, bot: Bot) -> None:
    fake = api.add_file(b"hello bytes", file_id="BQACfile", file_path="photos/file_3.jpg")
    info = await bot.get_file("BQACfile")
    assert (info.file_path, info.file_size) == ("photos/file_3.jpg", 11)
    url = f"{api.base_url}/file/bot{api.token}/photos/file_3.jpg"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200
            assert response.content_length == 11
            assert await response.read() == b"hello bytes"
        async with http.get(url.replace(api.token, "1:WRONG")) as response:
            assert response.status == 404
        async with http.get(f"{api.base_url}/file/bot{api.token}/photos/none.jpg") as response:
            assert response.status == 404
    assert fake.downloads == 1
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("BQACmissing")


async def test_files_misbehave_on_request(api: FakeBotAPI, bot: Bot) -> None:
    unsized = api.add_file(b"abc", reported_size=None, content_length=False)
    lying = api.add_file(b"abc", reported_size=1)
    cut = api.add_file(b"x" * 100_000, truncate_at=10)
    failing = api.add_file(b"abc", status=503)
    assert (await bot.get_file(unsized.file_id)).file_size is None
    assert (await bot.get_file(lying.file_id)).file_size == 1
    base = f"{api.base_url}/file/bot{api.token}/"
    async with aiohttp.ClientSession() as http:
        async with http.get(base + unsized.file_path) as response:
            assert response.content_length is None
            assert response.headers.get("Transfer-Encoding") == "chunked"
            assert await response.read() == b"abc"
        async with http.get(base + cut.file_path) as response:
            assert response.content_length == 100_000
            with pytest.raises(aiohttp.ClientPayloadError):
                await response.read()
        async with http.get(base + failing.file_path) as response:
            assert response.status == 503


async def test_files_over_20_mb_are_too_big_for_bots(api: FakeBotAPI, bot: Bot) -> None:
    big = api.add_file(b"\0" * (MAX_DOWNLOAD_BYTES + 1))
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(big.file_id)
    fits = api.add_file(b"\0" * MAX_DOWNLOAD_BYTES)
    assert (await bot.get_file(fits.file_id)).file_size == MAX_DOWNLOAD_BYTES
