"""Downloading evidence through the Bot API, against the fake server over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import pytest_asyncio
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update
from cryptography.fernet import Fernet
from PIL import Image

from bot.evidence.config import EvidenceSettings
from bot.evidence.files import (
    EvidenceRefused,
    EvidenceStore,
    Refusal,
    download_telegram_file,
    receive_telegram,
)
from bot.storage.crypto import Cipher
from bot.testing.fake_bot_api import (
    MAX_DOWNLOAD_BYTES,
    FakeBotAPI,
    album_updates,
    document_update,
    photo_update,
)
from bot.testing.images import photo

CHAT = 4242
SETTINGS = EvidenceSettings()
SMALL = replace(SETTINGS, max_bytes=200_000)  # so "too large" needs no 20 MB in the tests
CIPHER = Cipher([Fernet.generate_key().decode()])


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest_asyncio.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    client = Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))
    try:
        yield client
    finally:
        await client.session.close()


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence", lambda: CIPHER)


def leftovers(store: EvidenceStore) -> list[Path]:
    return list(store.tmp_dir.iterdir()) if store.tmp_dir.exists() else []


async def refused(
    bot: Bot,
    store: EvidenceStore,
    file_id: str,
    settings: EvidenceSettings = SMALL,
    declared_size: int | None = None,
) -> EvidenceRefused:
    with pytest.raises(EvidenceRefused) as caught:
        await receive_telegram(bot, file_id, store, settings, declared_size=declared_size)
    assert leftovers(store) == []  # nothing half-downloaded stays on disk
    return caught.value


# -- what users send ----------------------------------------------------------------------
async def test_a_photo(api: FakeBotAPI, bot: Bot, store: EvidenceStore) -> None:
    data = photo(1)
    fake = api.add_file(data, file_id="AgACphoto1")
    message = Update.model_validate({"update_id": 1, **photo_update(CHAT, file_id="AgACphoto1")})
    assert message.message is not None and message.message.photo is not None
    largest = message.message.photo[-1]
    image = await receive_telegram(
        bot, largest.file_id, store, SETTINGS, declared_size=largest.file_size
    )
    assert (image.source_format, image.width, image.height) == ("JPEG", 900, 1200)
    assert fake.downloads == 1
    assert [c.params["file_id"] for c in api.calls_of("getFile")] == ["AgACphoto1"]
    assert leftovers(store) == []


async def test_an_image_sent_as_a_file_loses_its_location(
    api: FakeBotAPI, bot: Bot, store: EvidenceStore
) -> None:
    data = photo(2, size=(1200, 900), gps=True, orientation=6)
    api.add_file(data, file_id="BQACdoc", file_path="documents/file_7.jpg")
    update = Update.model_validate(
        {"update_id": 2, **document_update(CHAT, file_id="BQACdoc", file_size=len(data))}
    )
    assert update.message is not None and update.message.document is not None
    document = update.message.document
    assert document.mime_type == "image/jpeg"
    image = await receive_telegram(
        bot, document.file_id, store, SETTINGS, declared_size=document.file_size
    )
    stored = await store.put("person-1", image)
    import io

    with Image.open(io.BytesIO(await store.read(stored.ref))) as back:
        assert back.size == (900, 1200)  # upright
        assert not back.getexif()


async def test_an_album_is_several_photos_sharing_a_group(
    api: FakeBotAPI, bot: Bot, store: EvidenceStore
) -> None:
    ids = [f"AgACalbum{i}" for i in range(3)]
    for i, file_id in enumerate(ids):
        api.add_file(photo(10 + i), file_id=file_id)
    updates = [Update.model_validate({"update_id": n, **u}) for n, u in
               enumerate(album_updates(CHAT, ids, caption="Lamaran PT Maju"), 1)]  # fmt: skip
    messages = [u.message for u in updates if u.message is not None]
    assert {m.media_group_id for m in messages} == {"13579246801357924"}
    assert [m.caption for m in messages] == ["Lamaran PT Maju", None, None]
    images = [
        await receive_telegram(bot, m.photo[-1].file_id, store, SETTINGS)
        for m in messages
        if m.photo is not None
    ]
    assert len({i.sha256 for i in images}) == 3
    refs = {(await store.put("person-1", i)).ref for i in images}
    assert len(refs) == 3


async def test_a_heic_file(api: FakeBotAPI, bot: Bot, store: EvidenceStore) -> None:
    api.add_file(photo(3, fmt="HEIF"), file_id="BQACheic", file_path="documents/IMG_0001.HEIC")
    image = await receive_telegram(bot, "BQACheic", store, SETTINGS)
    assert (image.source_format, image.mime) == ("HEIF", "image/jpeg")


async def test_a_self_hosted_server_in_local_mode(
    api: FakeBotAPI, bot: Bot, store: EvidenceStore, tmp_path: Path
) -> None:
    """A local Bot API server gives an absolute path on its own disk instead of a URL."""
    local = tmp_path / "bot-api" / "photos" / "file_1.jpg"
    local.parent.mkdir(parents=True)
    local.write_bytes(photo(4))
    fake = api.add_file(b"unused", file_id="AgAClocal", file_path=str(local))
    image = await receive_telegram(bot, "AgAClocal", store, SETTINGS)
    assert image.width == 900
    assert fake.downloads == 0
    assert local.exists()


# -- too large, before and during the download ---------------------------------------------
async def test_too_large_by_the_update_is_refused_before_asking(
    api: FakeBotAPI, bot: Bot, store: EvidenceStore
) -> None:
    error = await refused(bot, store, "AgACany", declared_size=SMALL.max_bytes + 1)
    assert error.reason is Refusal.TOO_LARGE
    assert api.calls_of("getFile") == []


async def test_too_large_by_getfile_is_not_downloaded(
    api: FakeBotAPI, bot: Bot, store: EvidenceStore
) -> None:
    fake = api.add_file(b"x" * (SMALL.max_bytes + 1))
    assert (await refused(bot, store, fake.file_id)).reason is Refusal.TOO_LARGE
    assert fake.downloads == 0


async def test_telegrams_own_20_mb_refusal(api: FakeBotAPI, bot: Bot, store: EvidenceStore) -> None:
    fake = api.add_file(b"\0" * (MAX_DOWNLOAD_BYTES + 1))
    error = await refused(bot, store, fake.file_id, SETTINGS)
    assert error.reason is Refusal.TOO_LARGE
    assert "too big" in error.detail
    assert fake.downloads == 0


async def test_too_large_by_content_length(api: FakeBotAPI, bot: Bot, store: EvidenceStore) -> None:
    """getFile gives no size; the Content-Length is enough to stop before reading."""
    fake = api.add_file(b"x" * (SMALL.max_bytes + 1), reported_size=None)
    error = await refused(bot, store, fake.file_id)
    assert (error.reason, error.detail) == (Refusal.TOO_LARGE, f"Content-Length {len(fake.data)}")


async def test_too_large_while_downloading_without_any_size(
    api: FakeBotAPI, bot: Bot, store: EvidenceStore
) -> None:
    fake = api.add_file(b"x" * (SMALL.max_bytes * 3), reported_size=None, content_length=False)
    error = await refused(bot, store, fake.file_id)
    assert error.reason is Refusal.TOO_LARGE
    assert error.detail == f"more than {SMALL.max_bytes} bytes"


async def test_a_server_that_lies_and_never_stops(
    api: FakeBotAPI, bot: Bot, store: EvidenceStore
) -> None:
    """getFile says 1 KB, then the body never ends: the download stops past the limit (if it
    did not, this test would hang until the download timeout and see download_failed)."""
    fake = api.add_file(b"lie" * 10, reported_size=1024, endless=True)
    error = await refused(bot, store, fake.file_id, replace(SMALL, download_timeout=30))
    assert error.reason is Refusal.TOO_LARGE


async def test_a_download_that_takes_too_long(
    api: FakeBotAPI, bot: Bot, store: EvidenceStore
) -> None:
    fake = api.add_file(b"the first bytes, then nothing", reported_size=None, stall=True)
    error = await refused(bot, store, fake.file_id, replace(SETTINGS, download_timeout=1))
    assert (error.reason, error.detail) == (Refusal.DOWNLOAD_FAILED, "timed out")


async def test_local_mode_with_the_file_gone(
    api: FakeBotAPI, bot: Bot, store: EvidenceStore, tmp_path: Path
) -> None:
    api.add_file(b"unused", file_id="AgACgone", file_path=str(tmp_path / "gone.jpg"))
    error = await refused(bot, store, "AgACgone", SETTINGS)
    assert error.reason is Refusal.DOWNLOAD_FAILED


# -- broken downloads ----------------------------------------------------------------------
async def test_a_body_cut_short(api: FakeBotAPI, bot: Bot, store: EvidenceStore) -> None:
    data = photo(5)
    fake = api.add_file(data, truncate_at=len(data) // 2)
    error = await refused(bot, store, fake.file_id, SETTINGS)
    assert error.reason is Refusal.DOWNLOAD_FAILED


async def test_a_body_shorter_than_getfile_said(
    api: FakeBotAPI, bot: Bot, store: EvidenceStore
) -> None:
    data = photo(5)
    fake = api.add_file(data, reported_size=len(data) + 10)
    error = await refused(bot, store, fake.file_id, SETTINGS)
    assert error.reason is Refusal.DOWNLOAD_FAILED
    assert error.detail == f"got {len(data)} of {len(data) + 10} bytes"


async def test_a_body_cut_short_without_a_size_is_a_broken_image(
    api: FakeBotAPI, bot: Bot, store: EvidenceStore
) -> None:
    """Nothing announced a size, so only the picture can tell it is incomplete."""
    data = photo(5)
    fake = api.add_file(data[: len(data) // 2], reported_size=None, content_length=False)
    assert (await refused(bot, store, fake.file_id, SETTINGS)).reason is Refusal.TRUNCATED


@pytest.mark.parametrize("status", [404, 500, 502])
async def test_http_errors(api: FakeBotAPI, bot: Bot, store: EvidenceStore, status: int) -> None:
    fake = api.add_file(photo(6), status=status)
    error = await refused(bot, store, fake.file_id, SETTINGS)
    assert (error.reason, error.detail) == (Refusal.DOWNLOAD_FAILED, f"HTTP {status}")


async def test_an_unknown_file_id(api: FakeBotAPI, bot: Bot, store: EvidenceStore) -> None:
    error = await refused(bot, store, "AgACnothing", SETTINGS)
    assert error.reason is Refusal.DOWNLOAD_FAILED
    assert "invalid file_id" in error.detail


async def test_getfile_failing(api: FakeBotAPI, bot: Bot, store: EvidenceStore) -> None:
    fake = api.add_file(photo(6))
    api.fail_next("getFile", 500, "Internal Server Error")
    assert (await refused(bot, store, fake.file_id, SETTINGS)).reason is Refusal.DOWNLOAD_FAILED


async def test_not_an_image(api: FakeBotAPI, bot: Bot, store: EvidenceStore) -> None:
    fake = api.add_file(b"%PDF-1.5\n" + b"1" * 3000, file_path="documents/surat.pdf")
    assert (await refused(bot, store, fake.file_id, SETTINGS)).reason is Refusal.PDF


async def test_the_token_never_shows(
    api: FakeBotAPI, bot: Bot, store: EvidenceStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    failures = [
        api.add_file(photo(7), status=500),
        api.add_file(photo(7), truncate_at=100),
        api.add_file(b"x" * 300_000, reported_size=None),
    ]
    for fake in failures:
        error = await refused(bot, store, fake.file_id)
        assert api.token not in str(error)
        assert api.token.split(":")[1] not in repr(error.__context__ or "")
    assert api.token.split(":")[1] not in caplog.text


async def test_download_writes_a_private_file_the_caller_owns(
    api: FakeBotAPI, bot: Bot, tmp_path: Path
) -> None:
    data = photo(8)
    fake = api.add_file(data)
    path = await download_telegram_file(bot, fake.file_id, tmp_path / "tmp", SETTINGS)
    assert path.read_bytes() == data
    assert path.stat().st_mode & 0o077 == 0
    assert (tmp_path / "tmp").stat().st_mode & 0o077 == 0
