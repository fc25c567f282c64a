"""Evidence photos on Telegram, through real aiogram parsing, the fake Bot API's files over
HTTP, the engine and the database: a photo, an image sent as a file, an album, and every way
a file can be wrong."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiogram.types import Update
from PIL import Image
from sqlalchemy import select

from bot.app import App, build_app
from bot.channels.telegram import TelegramRuntime
from bot.evidence.config import EvidenceSettings
from bot.settings import Settings
from bot.storage.models import EvidenceFile, EvidenceRow, table
from bot.testing.client import ChatClient, consented
from bot.testing.clock import FrozenClock
from bot.testing.fake_bot_api import (
    ApiCall,
    FakeBotAPI,
    album_updates,
    callback_update,
    document_update,
    photo_update,
    sticker_update,
    text_update,
)
from bot.testing.images import encode, letter, photo, png_bomb

CHAT, OTHER = 6661001, 6661002
MAX_BYTES = 400_000  # small, so "too large" needs no 20 MB here


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def runtime(
    api: FakeBotAPI, settings: Settings, clock: FrozenClock
) -> AsyncIterator[TelegramRuntime]:
    evidence = replace(settings.evidence, max_bytes=MAX_BYTES)
    tg = replace(settings, telegram_token=api.token, telegram_api_base=api.base_url,
                 telegram_chat_interval=0, evidence=evidence)  # fmt: skip
    app = await build_app(tg, clock=clock)
    rt = TelegramRuntime(app)
    try:
        yield rt
    finally:
        await rt.bot.session.close()
        await app.close()


class Chat:
    """One Telegram user: updates through the dispatcher, then the outbox drained."""

    update_ids = iter(range(5000, 10**6))

    def __init__(self, rt: TelegramRuntime, api: FakeBotAPI, chat_id: int) -> None:
        self.rt, self.api, self.chat_id = rt, api, chat_id

    def update(self, update: dict[str, Any]) -> Update:
        return Update.model_validate({**update, "update_id": next(self.update_ids)})

    async def feed(self, *updates: dict[str, Any], together: bool = False) -> list[ApiCall]:
        """Feed updates one after another, or all at once (as aiogram's polling does)."""
        before = len(self.api.calls)
        parsed = [self.update(u) for u in updates]
        if together:
            await asyncio.gather(*(self.rt.dp.feed_update(self.rt.bot, u) for u in parsed))
        else:
            for u in parsed:
                await self.rt.dp.feed_update(self.rt.bot, u)
        await self.rt.sender.drain()
        return self.api.calls[before:]

    def press_update(self, data: str) -> dict[str, Any]:
        return callback_update(self.chat_id, data, message_id=1)

    async def text(self, text: str) -> list[str]:
        return texts(await self.feed(text_update(self.chat_id, text)))

    async def press(self, data: str) -> list[str]:
        return texts(await self.feed(self.press_update(data)))

    async def to_photo_step(self, company: str = "PT Maju Jaya") -> None:
        await self.text("/start")
        await self.press("consent:agree")
        await self.press("menu:evidence")
        await self.press("ev_start:unknown")
        await self.press("ev:upload")
        await self.press("ev_kind:application")
        await self.text(company)
        replies = await self.press("ev_day:yesterday")
        assert "Sekarang kirim foto buktinya" in replies[-1]


def texts(calls: list[ApiCall]) -> list[str]:
    return [c.params["text"] for c in calls if c.method == "sendMessage"]


def downloads(calls: list[ApiCall]) -> int:
    return sum(c.method == "getFile" for c in calls)


@pytest.fixture
def chat(runtime: TelegramRuntime, api: FakeBotAPI) -> Chat:
    return Chat(runtime, api, CHAT)


async def rows(rt: TelegramRuntime) -> tuple[list[Any], list[Any]]:
    async with rt.app.db.read() as conn:
        pieces = (await conn.execute(select(table(EvidenceRow)))).all()
        files = (await conn.execute(select(table(EvidenceFile)))).all()
    return list(pieces), list(files)


async def test_a_photo_an_album_and_images_as_files_make_one_piece(
    chat: Chat, api: FakeBotAPI, runtime: TelegramRuntime
) -> None:
    await chat.to_photo_step()
    api.add_file(photo(1), file_id="AgACsingle")
    calls = await chat.feed(photo_update(CHAT, file_id="AgACsingle"))
    assert downloads(calls) == 1
    assert texts(calls) == [
        "Foto diterima 👍 Ada foto lain? Kirim saja. Kalau sudah semua, tekan Selesai."
    ]
    album = [f"AgACalbum{i}" for i in range(3)]
    for i, file_id in enumerate(album):
        api.add_file(photo(10 + i), file_id=file_id)
    calls = await chat.feed(*album_updates(CHAT, album, caption="Lamaran"))
    assert downloads(calls) == 3
    assert len(texts(calls)) == 1  # an album is answered once
    jpeg = photo(20, size=(1200, 900), gps=True)
    api.add_file(jpeg, file_id="BQACjpeg", file_path="documents/scan.jpg")
    calls = await chat.feed(
        document_update(CHAT, file_id="BQACjpeg", file_name="scan.jpg", file_size=len(jpeg))
    )
    assert texts(calls)[0].startswith("Foto diterima")
    heic = photo(21, fmt="HEIF")
    api.add_file(heic, file_id="BQACheic", file_path="documents/IMG_0001.HEIC")
    calls = await chat.feed(
        document_update(CHAT, file_id="BQACheic", file_name="IMG_0001.HEIC",
                        mime_type="image/heic")
    )  # fmt: skip
    assert texts(calls)[0].startswith("Foto diterima")
    replies = await chat.press("ev:done")
    assert "Bukti lamaran ke PT Maju Jaya, tanggal 1 Juni 2025, 6 foto" in replies[0]
    pieces, files = await rows(runtime)
    assert len(pieces) == 1 and len(files) == 6
    assert {f.evidence_id for f in files} == {pieces[0].id}
    assert pieces[0].channel == "telegram" and not pieces[0].near_duplicate
    on_disk = await runtime.app.files.refs()
    assert on_disk == {f.ref for f in files}
    for ref in on_disk:  # encrypted (a Fernet token), and inside: no metadata, no location
        raw = runtime.app.files.path_of(ref).read_bytes()
        assert raw.startswith(b"gAAAAA") and not raw.startswith((b"\xff\xd8", b"\x89PNG"))
        with Image.open(io.BytesIO(await runtime.app.files.read(ref))) as picture:
            assert not picture.getexif() and "xmp" not in picture.info


async def test_album_photos_are_in_the_piece_before_a_tap_that_follows_them(
    chat: Chat, api: FakeBotAPI, runtime: TelegramRuntime
) -> None:
    """Updates processed concurrently (aiogram's polling does): the chat's order holds, so
    "Selesai" pressed right after an album finds all of its photos."""
    await chat.to_photo_step()
    album = [f"AgACquick{i}" for i in range(3)]
    for i, file_id in enumerate(album):
        api.add_file(photo(30 + i), file_id=file_id)
    calls = await chat.feed(
        *album_updates(CHAT, album), chat.press_update("ev:done"), together=True
    )
    replies = texts(calls)
    assert len(replies) == 2 and "3 foto" in replies[-1], replies
    pieces, files = await rows(runtime)
    assert len(pieces) == 1 and len(files) == 3


async def test_a_photo_elsewhere_is_not_downloaded(chat: Chat, api: FakeBotAPI) -> None:
    await chat.text("/start")
    await chat.press("consent:agree")
    api.add_file(photo(1), file_id="AgACmenu")
    calls = await chat.feed(photo_update(CHAT, file_id="AgACmenu"))
    assert downloads(calls) == 0
    await chat.press("menu:evidence")
    await chat.press("ev_start:unknown")
    calls = await chat.feed(photo_update(CHAT, file_id="AgACmenu"))  # at the hub: not yet
    assert downloads(calls) == 0


BAD_FILES = {
    # name: (how it is sent, what the person reads, whether it is downloaded)
    "not_an_image": ("document", "bukan foto yang bisa saya baca", True),
    "pdf": ("pdf", "belum bisa membaca file PDF", False),
    "word_file": ("word", "bukan foto yang bisa saya baca", False),
    "truncated_file": ("truncated", "rusak atau tidak terkirim utuh", True),
    "cut_during_download": ("cut", "gagal saya ambil", True),
    "too_large_declared": ("declared", "terlalu besar", False),
    "too_large_during_download": ("streamed", "terlalu besar", True),
    "decompression_bomb": ("bomb", "terlalu besar untuk saya proses", True),
    "too_small": ("small", "terlalu kecil", True),
    "sticker": ("sticker", "saya menunggu foto buktinya", False),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
async def test_bad_files_are_refused_in_plain_words(
    chat: Chat, api: FakeBotAPI, runtime: TelegramRuntime, case: str
) -> None:
    how, said, downloaded = BAD_FILES[case]
    await chat.to_photo_step()
    good = photo(5)
    if how == "document":
        api.add_file(b"Surat lamaran, bukan foto\n" * 50, file_id="BQACtext")
        update = document_update(CHAT, file_id="BQACtext", file_name="bukti.jpg")
    elif how == "pdf":
        api.add_file(b"%PDF-1.4\n", file_id="BQACpdf")
        update = document_update(CHAT, file_id="BQACpdf", file_name="surat.pdf",
                                 mime_type="application/pdf")  # fmt: skip
    elif how == "word":
        api.add_file(b"PK\x03\x04", file_id="BQACdocx")
        update = document_update(CHAT, file_id="BQACdocx", file_name="surat.docx",
                                 mime_type="application/msword")  # fmt: skip
    elif how == "truncated":
        api.add_file(good[: len(good) // 2], file_id="AgACcut")
        update = photo_update(CHAT, file_id="AgACcut")
    elif how == "cut":
        api.add_file(good, file_id="AgACdrop", truncate_at=len(good) // 3)
        update = photo_update(CHAT, file_id="AgACdrop")
    elif how == "declared":
        api.add_file(good, file_id="AgACbig")
        update = photo_update(CHAT, file_id="AgACbig", file_size=MAX_BYTES + 1)
    elif how == "streamed":  # sizes unknown until the bytes come: stopped while reading
        api.add_file(good, file_id="AgACendless", reported_size=None, endless=True)
        update = photo_update(CHAT, file_id="AgACendless", file_size=None)
        update["message"]["photo"][-1].pop("file_size")
    elif how == "bomb":
        bomb = png_bomb(30000, 30000)
        api.add_file(bomb, file_id="BQACbomb", file_path="documents/bomb.png")
        update = document_update(CHAT, file_id="BQACbomb", file_name="bomb.png",
                                 mime_type="image/png", file_size=len(bomb))  # fmt: skip
    elif how == "small":
        api.add_file(photo(6, size=(240, 180)), file_id="AgACsmall")
        update = photo_update(CHAT, file_id="AgACsmall")
    else:
        update = sticker_update(CHAT)
    calls = await chat.feed(update)
    replies = texts(calls)
    assert len(replies) == 1 and said in replies[0], replies
    assert "Sekarang kirim foto buktinya" in replies[0]  # and the step again
    assert (downloads(calls) > 0) == downloaded
    pieces, files = await rows(runtime)
    assert pieces == [] and files == []
    assert await runtime.app.files.refs() == set()  # nothing of it was stored
    assert list(runtime.app.files.tmp_dir.glob("*")) == []  # nor left half-downloaded


async def test_the_same_photo_twice_is_refused_and_another_persons_near_copy_is_flagged(
    chat: Chat, api: FakeBotAPI, runtime: TelegramRuntime
) -> None:
    picture = letter(40)
    original = encode(picture, "JPEG", quality=95)
    api.add_file(original, file_id="AgACorig")
    api.add_file(original, file_id="AgACsame")  # the same bytes under another file id
    await chat.to_photo_step()
    await chat.feed(photo_update(CHAT, file_id="AgACorig"))
    replies = texts(await chat.feed(photo_update(CHAT, file_id="AgACsame")))
    assert "sudah pernah Anda kirim" in replies[0]
    await chat.press("ev:done")
    api.add_file(original, file_id="AgACagain")
    await chat.press("ev:upload")
    await chat.press("ev_kind:invitation")
    await chat.text("PT Lain")
    await chat.press("ev_day:today")
    replies = texts(await chat.feed(photo_update(CHAT, file_id="AgACagain")))
    assert "sudah pernah Anda kirim" in replies[0]  # in an earlier piece, too

    other = Chat(runtime, api, OTHER)
    await other.to_photo_step("PT Maju Jaya")
    api.add_file(encode(picture, "JPEG", quality=40), file_id="AgACcopy")  # another file
    replies = texts(await other.feed(photo_update(OTHER, file_id="AgACcopy")))
    assert replies[0].startswith("Foto diterima")  # accepted: nothing said about it ...
    await other.press("ev:done")
    pieces, files = await rows(runtime)
    first, second = sorted(pieces, key=lambda p: p.id)
    assert (first.near_duplicate, second.near_duplicate) == (False, True)  # ... but flagged
    copy = next(f for f in files if f.evidence_id == second.id)
    assert copy.near_file_id == next(f.id for f in files if f.evidence_id == first.id)
    assert (
        copy.near_distance is not None
        and copy.near_distance < EvidenceSettings().near_duplicate_distance
    )


async def test_uploading_on_sms_is_explained(app: App) -> None:
    client = await consented(ChatClient(app.engine, channel="sms", user="+6281234567890"))
    await client.click("menu:evidence")
    await client.send("belum tahu")
    await client.send("1")  # Unggah bukti
    assert client.said() == ["utter_ev_no_photos_sms", "utter_ev_hub_no_start"]
    assert "tidak bisa dikirim lewat SMS" in client.text()
    assert "Telegram atau WhatsApp" in client.text()
