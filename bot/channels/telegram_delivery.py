"""Sending to Telegram, without the runtime: the outbox sender's ``deliver`` for the Telegram
channel (:class:`TelegramDelivery`), the inline keyboard, long texts split, and the Bot API
client. No dispatcher, polling or webhook here: ``jkp-bot scheduler`` sends with this alone
(bot/channels/telegram.py is the runtime that also receives).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.domain import Domain, Rendered
from bot.core.types import OutboundMessage, Say
from bot.cv.model import StoredFiles
from scheduler.outbox import OutboxSender, Rejected, RetryLater, Unreachable

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
CHANNEL = "telegram"
MAX_TEXT = 4096
CAPTION = 1024  # a photo's or document's caption


# -- OutboundMessage → native output ----------------------------------------------------
def keyboard(rendered: Rendered) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(text=b.title, callback_data=b.payload) for b in row]
        for row in rendered.button_rows()  # one per row, or as the response asks (button_type)
    ]
    if rendered.nav:
        rows.append(
            [InlineKeyboardButton(text=b.title, callback_data=b.payload) for b in rendered.nav]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split on paragraph, then line, then hard boundaries so no chunk exceeds ``limit``."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    chunks.append(rest)
    return [c for c in chunks if c] or [""]


class TelegramDelivery:
    """Send one outbox message; sort Bot API errors for the sender.

    - 429 → :class:`RetryLater` (``retry_after``);
    - 403, "chat not found", "user is deactivated", a group migrated → :class:`Unreachable`;
    - any other 400 (or 413) → :class:`Rejected`: this message can never go, the rest can
      (unless Telegram says to retry);
    - everything else (network errors, 5xx, an HTML error page, a timeout, a 401 while the
      token is being fixed) is raised as it is: transient, the sender backs off and retries.

    ``deadline`` bounds the whole message (a long text is several requests), so a hung
    request cannot outlive the sender's lease on the row.
    """

    GONE = ("chat not found", "user is deactivated", "bot was blocked", "bot was kicked",
            "peer_id_invalid", "user not found")  # fmt: skip

    def __init__(
        self,
        bot: Bot,
        domain: Domain,
        *,
        deadline: float | None = None,
        files: StoredFiles | None = None,
    ) -> None:
        self.bot = bot
        self.domain = domain
        self.deadline = deadline
        self.files = files  # where ``store:`` attachments are (a CV), deleted once sent

    async def __call__(self, address: str, message: OutboundMessage) -> None:
        stored = await self._stored(message)
        if stored is None and message.attachment and message.attachment.ref.startswith("store:"):
            message = OutboundMessage((*message.parts, Say("utter_cv_file_gone")))
        rendered = self.domain.render(message, CHANNEL)
        chunks = split_text(rendered.text)
        try:
            async with asyncio.timeout(self.deadline):
                if stored is not None:
                    await self._upload(address, message, rendered, stored)
                    if len(rendered.text) <= CAPTION:
                        return  # the text went as the caption
                elif await self._file(address, message, rendered):
                    return
                for i, chunk in enumerate(chunks):
                    last = i == len(chunks) - 1
                    await self.bot.send_message(
                        chat_id=int(address),
                        text=chunk,
                        reply_markup=keyboard(rendered) if last else None,
                    )
        except TelegramRetryAfter as e:
            raise RetryLater(e.retry_after) from e
        except (TelegramForbiddenError, TelegramMigrateToChat) as e:
            raise Unreachable(e.message) from e
        except (TelegramBadRequest, TelegramNotFound, TelegramEntityTooLarge) as e:
            text = e.message.lower()
            if any(gone in text for gone in self.GONE):
                raise Unreachable(e.message) from e
            if isinstance(e, TelegramNotFound) or "retry" in text:
                raise  # a 404 is a wrong API address or method, not this message's fault
            raise Rejected(e.message) from e

    async def _stored(self, message: OutboundMessage) -> bytes | None:
        """The bytes of a ``store:`` attachment (None: not one, or no longer there)."""
        att = message.attachment
        if att is None or not att.ref.startswith("store:") or self.files is None:
            return None
        try:
            return await self.files.read(att.ref.removeprefix("store:"))
        except (FileNotFoundError, ValueError):
            log.info("a stored attachment was gone before it could be sent")
            return None

    async def _upload(
        self, address: str, message: OutboundMessage, rendered: Rendered, data: bytes
    ) -> None:
        """A file the application made (a CV): uploaded with the text as its caption when
        it fits, then deleted from the file store (it is kept only until delivered)."""
        att = message.attachment
        assert att is not None and self.files is not None
        fits = len(rendered.text) <= CAPTION
        upload = BufferedInputFile(data, filename=att.name or "file")
        send = self.bot.send_photo if att.kind == "photo" else self.bot.send_document
        await send(
            int(address), upload, caption=rendered.text if fits else None,
            reply_markup=keyboard(rendered) if fits else None,
        )  # fmt: skip
        await self.files.delete(att.ref.removeprefix("store:"))

    async def _file(self, address: str, message: OutboundMessage, rendered: Rendered) -> bool:
        """A file Telegram already holds (``tg:<file_id>``: a counselor's photo or document)
        goes first, with the text as its caption when it fits (True: nothing more to send)."""
        att = message.attachment
        if att is None or not att.ref.startswith("tg:"):
            return False
        fits = len(rendered.text) <= CAPTION
        send = self.bot.send_photo if att.kind == "photo" else self.bot.send_document
        await send(
            int(address), att.ref.removeprefix("tg:"), caption=rendered.text if fits else None,
            reply_markup=keyboard(rendered) if fits else None,
        )  # fmt: skip
        return fits


# -- the bot ---------------------------------------------------------------------
def request_timeout(lease_seconds: float) -> float:
    """One Bot API request may take at most half the sender's lease on a row."""
    return max(2.0, lease_seconds / 2)


_RESPONSE_MODELS: dict[Any, Any] = {}


def keep_response_model(method: TelegramMethod[Any]) -> None:
    """aiogram reads each Bot API reply with ``Response[<the method's result type>]``, a
    pydantic generic model that pydantic caches only weakly: after a garbage collection it
    is built again (about 10 ms, once per turn under load: most of a turn's CPU). Holding
    each one used keeps it built."""
    returning = method.__returning__
    if returning not in _RESPONSE_MODELS:
        _RESPONSE_MODELS[returning] = Response[returning]  # type: ignore[valid-type]


class KeptResponses(BaseSession):
    """A session mixin that keeps the reply models it uses (:func:`keep_response_model`)."""

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        keep_response_model(method)
        return super().check_response(bot, method, status_code, content)


class BotSession(KeptResponses, AiohttpSession):
    """The bot's HTTP session: aiogram's aiohttp session, keeping its reply models."""


def make_bot(token: str, api_base: str, *, timeout: float = 15.0) -> Bot:
    session = BotSession(api=TelegramAPIServer.from_base(api_base), timeout=timeout)
    return Bot(token=token, session=session)


def telegram_sender(app: App) -> tuple[OutboxSender, Bot]:
    """The Telegram outbox sender as ``jkp-bot run`` configures it (limits, lease, TTL), and
    its bot (close ``bot.session`` when done)."""
    settings = app.settings
    lease = settings.outbox_lease_seconds
    bot = make_bot(settings.telegram_token, settings.telegram_api_base,
                   timeout=request_timeout(lease))  # fmt: skip
    deliver = TelegramDelivery(bot, app.engine.domain, deadline=lease * 0.8, files=app.files)
    sender = OutboxSender(
        app.db, CHANNEL, deliver, app.engine.clock, per_second=settings.telegram_per_second,
        chat_interval=settings.telegram_chat_interval,
        chat_burst=settings.telegram_chat_burst,
        lease=timedelta(seconds=lease),
        ttl=timedelta(hours=settings.outbox_message_ttl_hours),
    )  # fmt: skip
    return sender, bot
