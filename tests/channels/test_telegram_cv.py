"""Unduh CV and Lamaran saya on Telegram, through real aiogram, the fake Bot API over HTTP,
the engine and the database: the CV arrives as a document (sendDocument, a PDF upload) made
with the profile photo downloaded from Telegram, and is not kept afterwards; an operator's
status change arrives as a message."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiogram.types import Update

from bot.app import build_app
from bot.channels.telegram import TelegramRuntime
from bot.records.model import RecordApplication, SaveProfileSection
from bot.settings import Settings
from bot.testing.clock import FrozenClock
from bot.testing.db import apply_effects, snapshot
from bot.testing.fake_bot_api import ApiCall, FakeBotAPI, callback_update, text_update
from bot.testing.images import photo
from bot.vacancies.status_cli import run_applications

CHAT = 6662001
# fmt: off
PROFILE: dict[str, tuple[dict[str, Any], ...]] = {
    "photo": ({"pf_photo": "AgACprofilePhoto"},),
    "personal": ({"pf_full_name": "Dewi Lestari", "pf_birth_date": "1992-01-05",
                  "pf_gender": "female", "pf_domicile": "3275"},),
    "experience": ({"pf_exp_position": "Staf Gudang", "pf_exp_company": "PT Logistik Jaya",
                    "pf_exp_start": 2016, "pf_exp_end": 2024},),
}
# fmt: on


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def runtime(
    api: FakeBotAPI, settings: Settings, clock: FrozenClock
) -> AsyncIterator[TelegramRuntime]:
    tg = replace(settings, telegram_token=api.token, telegram_api_base=api.base_url,
                 telegram_chat_interval=0)  # fmt: skip
    app = await build_app(tg, clock=clock)
    rt = TelegramRuntime(app)
    try:
        yield rt
    finally:
        await rt.bot.session.close()
        await app.close()


update_ids = iter(range(9000, 10**6))


async def feed(rt: TelegramRuntime, api: FakeBotAPI, update: dict[str, Any]) -> list[ApiCall]:
    before = len(api.calls)
    parsed = Update.model_validate({**update, "update_id": next(update_ids)})
    await rt.dp.feed_update(rt.bot, parsed)
    await rt.sender.drain()
    return api.calls[before:]


def uploaded(params: dict[str, Any]) -> dict[str, Any]:
    """The multipart file a sendDocument carried (aiogram sends ``attach://<name>``)."""
    ref = str(params["document"])
    assert ref.startswith("attach://"), ref
    upload: dict[str, Any] = params[ref.removeprefix("attach://")]
    return upload


async def consented_person(rt: TelegramRuntime, api: FakeBotAPI) -> int:
    await feed(rt, api, text_update(CHAT, "/start"))
    await feed(rt, api, callback_update(CHAT, "consent:agree", message_id=1))
    snap = await snapshot(rt.app, "telegram", str(CHAT))
    assert snap is not None
    return snap.person.id


async def test_the_cv_arrives_as_a_document_with_the_photo_and_is_not_kept(
    runtime: TelegramRuntime, api: FakeBotAPI
) -> None:
    person = await consented_person(runtime, api)
    effects = [SaveProfileSection(name, entries) for name, entries in PROFILE.items()]
    await apply_effects(runtime.app, person, *effects)
    api.add_file(photo(5, (300, 400)), file_id="AgACprofilePhoto")
    calls = await feed(runtime, api, callback_update(CHAT, "menu:cv", message_id=2))
    assert [c.method for c in calls if c.method != "answerCallbackQuery"] == [
        "getFile", "sendDocument", "sendMessage"]  # fmt: skip
    document = next(c.params for c in calls if c.method == "sendDocument")
    assert document["chat_id"] == CHAT
    upload = uploaded(document)
    assert upload["filename"] == "CV Dewi Lestari.pdf"
    assert upload["size"] > 10_000  # a page with a photo, not an empty file
    assert document["caption"].startswith("Ini CV Anda (PDF, 1 halaman)")
    assert "Apa yang ingin Anda lakukan?" in calls[-1].params["text"]  # then the menu
    assert await runtime.app.files.refs() == set()  # delivered: not kept


async def test_without_the_photo_on_telegram_the_cv_still_comes(
    runtime: TelegramRuntime, api: FakeBotAPI
) -> None:
    person = await consented_person(runtime, api)
    effects = [SaveProfileSection(name, entries) for name, entries in PROFILE.items()]
    await apply_effects(runtime.app, person, *effects)  # the photo's file is not on the API
    calls = await feed(runtime, api, text_update(CHAT, "unduh cv"))
    sent = [c for c in calls if c.method == "sendDocument"]
    assert len(sent) == 1 and uploaded(sent[0].params)["filename"] == "CV Dewi Lestari.pdf"


async def test_a_status_change_reaches_the_chat(runtime: TelegramRuntime, api: FakeBotAPI) -> None:
    person = await consented_person(runtime, api)
    effect = RecordApplication("karirhub", "gd-7", "Admin Gudang", "PT Logistik Jaya")
    await apply_effects(runtime.app, person, effect)
    args = argparse.Namespace(applications_command="status", vacancy="karirhub:gd-7",
                              person=str(person), status="invited")  # fmt: skip
    before = len(api.calls)
    assert await run_applications(runtime.app, args) == 0
    await runtime.sender.drain()
    texts = [c.params["text"] for c in api.calls[before:] if c.method == "sendMessage"]
    assert len(texts) == 1
    assert texts[0].startswith("Kabar baik! Lamaran Anda untuk Admin Gudang di PT Logistik Jaya")
    markup = next(c for c in api.calls[before:] if c.method == "sendMessage").params
    assert "menu:portfolio" in str(markup["reply_markup"])
    assert await run_applications(runtime.app, args) == 0  # the same change again
    await runtime.sender.drain()
    assert sum(c.method == "sendMessage" for c in api.calls[before:]) == 1  # told once
