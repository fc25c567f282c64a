"""aiogram reads each Bot API reply with ``Response[<result type>]``, which pydantic caches
only weakly; the bot's session keeps the ones it uses, so a garbage collection does not make
the next reply rebuild its model (about 10 ms, most of a turn's CPU before)."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    GetMyShortDescription,
    SendMessage,
    TelegramMethod,
)
from pydantic._internal import _generics

from bot.channels import telegram_delivery
from bot.channels.telegram import BotSession

REPLY = json.dumps({"ok": True, "result": {"message_id": 7, "date": 0, "text": "x",
                                          "chat": {"id": 1, "type": "private"}}})  # fmt: skip
METHODS: list[tuple[TelegramMethod[Any], str]] = [
    (SendMessage(chat_id=1, text="x"), REPLY),
    (EditMessageText(chat_id=1, message_id=7, text="x"), REPLY),
    (AnswerCallbackQuery(callback_query_id="q"), '{"ok": true, "result": true}'),
]


def _models_built(
    session: AiohttpSession,
    monkeypatch: pytest.MonkeyPatch,
    methods: list[tuple[TelegramMethod[Any], str]],
) -> int:
    built = []
    original = _generics.create_generic_submodel

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(args[0])
        return original(*args, **kwargs)

    bot = Bot("123:abc", session=session)
    for method, reply in methods:
        session.check_response(bot, method, 200, reply)  # built (or found) and used once
    monkeypatch.setattr(_generics, "create_generic_submodel", counting)
    for method, reply in methods:
        gc.collect()
        assert session.check_response(bot, method, 200, reply).ok
    monkeypatch.setattr(_generics, "create_generic_submodel", original)
    return len(built)


def test_the_bot_session_keeps_its_reply_models(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _models_built(BotSession(), monkeypatch, METHODS) == 0


def test_without_it_pydantic_builds_them_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: aiogram's own session loses them to the collector (if pydantic ever
    keeps them itself, this fails and the workaround can go)."""
    rare = GetMyShortDescription()  # a reply model nothing else in the suite keeps
    reply = '{"ok": true, "result": {"short_description": "x"}}'
    assert rare.__returning__ not in telegram_delivery._RESPONSE_MODELS
    assert _models_built(AiohttpSession(), monkeypatch, [(rare, reply)]) == 1
