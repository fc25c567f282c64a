"""The Telegram channel (aiogram 3): one catch-all handler into the engine, and a delivery
function the outbox sender calls. Buttons become an inline keyboard; navigation buttons
(Kembali / Menu) a last row. Polling or webhook (aiohttp, secret-token checked)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ContentType
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiohttp import web

from bot.app import App
from bot.core.domain import Domain, Rendered
from bot.core.types import EventKind, InboundEvent, OutboundMessage
from bot.storage import people
from scheduler.jobs import build_scheduler
from scheduler.outbox import OutboxSender, RetryLater, Unreachable

CHANNEL = "telegram"
MAX_TEXT = 4096
COMMANDS = (
    "start", "menu", "kembali", "batal", "bantuan", "petugas", "data", "hapus", "stop", "mulai",
)  # fmt: skip
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]

log = logging.getLogger(__name__)


# -- native input → InboundEvent --------------------------------------------------------
def event_from_message(message: Message, update_id: int | None) -> InboundEvent:
    event_id = str(update_id) if update_id is not None else None
    sender = str(message.chat.id)
    text = message.text
    if text is not None:
        words = text.split()
        is_start = bool(words) and words[0].split("@")[0] == "/start"
        kind = EventKind.START if is_start else EventKind.TEXT
        return InboundEvent(CHANNEL, sender, kind, text=text, event_id=event_id)
    photo = message.photo[-1].file_id if message.photo else ""  # the largest size
    return InboundEvent(
        CHANNEL, sender, EventKind.MEDIA, media=ContentType(message.content_type).value,
        attachment=photo,
        event_id=event_id,
    )  # fmt: skip


def event_from_callback(query: CallbackQuery, update_id: int | None) -> InboundEvent | None:
    chat = query.message.chat.id if query.message else query.from_user.id
    return InboundEvent(
        CHANNEL, str(chat), EventKind.CHOICE, payload=query.data or "",
        event_id=str(update_id) if update_id is not None else None,
    )  # fmt: skip


# -- OutboundMessage → native output ----------------------------------------------------
def keyboard(rendered: Rendered) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(text=b.title, callback_data=b.payload)] for b in rendered.buttons]
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
    """Send one outbox message; translate Bot API errors for the sender."""

    def __init__(self, bot: Bot, domain: Domain) -> None:
        self.bot = bot
        self.domain = domain

    async def __call__(self, address: str, message: OutboundMessage) -> None:
        rendered = self.domain.render(message, CHANNEL)
        chunks = split_text(rendered.text)
        try:
            for i, chunk in enumerate(chunks):
                last = i == len(chunks) - 1
                await self.bot.send_message(
                    chat_id=int(address),
                    text=chunk,
                    reply_markup=keyboard(rendered) if last else None,
                )
        except TelegramRetryAfter as e:
            raise RetryLater(e.retry_after) from e
        except TelegramForbiddenError as e:
            raise Unreachable(e.message) from e
        except (TelegramBadRequest, TelegramNotFound) as e:
            if "chat not found" in e.message.lower() or "user is deactivated" in e.message.lower():
                raise Unreachable(e.message) from e
            raise


# -- aiogram wiring ---------------------------------------------------------------------
def make_bot(token: str, api_base: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    return Bot(token=token, session=session)


def build_dispatcher(app: App) -> Dispatcher:
    """One catch-all router: every message and button press goes to the engine."""
    router = Router(name="engine")
    engine = app.engine

    intake = app.intake

    @router.message()
    async def on_message(message: Message, event_update: Update, bot: Bot) -> None:
        event = event_from_message(message, event_update.update_id)
        async with intake.in_order(event):  # a chat's messages in order, downloads included
            await engine.handle(await intake.telegram(bot, message, event))  # evidence photos

    @router.callback_query()
    async def on_callback(query: CallbackQuery, event_update: Update, bot: Bot) -> None:
        # The engine first: a message typed right after the tap must not overtake it.
        event = event_from_callback(query, event_update.update_id)
        if event is not None:
            async with intake.in_order(event):  # after the photos sent before the tap
                await engine.handle(event)
        with contextlib.suppress(Exception):
            await query.answer()
        await _mark_chosen(query, bot)

    @router.my_chat_member()
    async def on_member(update: ChatMemberUpdated) -> None:
        if update.new_chat_member.status in ("kicked", "left"):
            async with engine.db.write() as conn:
                await people.mark_blocked(conn, CHANNEL, str(update.chat.id))

    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def _mark_chosen(query: CallbackQuery, bot: Bot) -> None:
    """Show which button was pressed and take the keyboard away, so it cannot be pressed twice."""
    message = query.message
    if not isinstance(message, Message) or not message.text or not message.reply_markup:
        return
    title = next(
        (b.text for row in message.reply_markup.inline_keyboard for b in row
         if b.callback_data == query.data),
        None,
    )  # fmt: skip
    if title is None:
        return
    with contextlib.suppress(Exception):
        await bot.edit_message_text(
            chat_id=message.chat.id,
            message_id=message.message_id,
            text=split_text(f"{message.text}\n\n» {title}")[0],
            reply_markup=None,
        )


async def set_commands(bot: Bot, domain: Domain) -> None:
    commands = [
        BotCommand(command=c, description=str(domain.variation(f"utter_cmd_{c}", CHANNEL)["text"]))
        for c in COMMANDS
    ]
    await bot.set_my_commands(commands)


class TelegramRuntime:
    """Bot + dispatcher + outbox sender, run by polling or by webhook."""

    def __init__(self, app: App) -> None:
        settings = app.settings
        self.app = app
        self.bot = make_bot(settings.telegram_token, settings.telegram_api_base)
        self.dp = build_dispatcher(app)
        self.sender = OutboxSender(
            app.db, CHANNEL, TelegramDelivery(self.bot, app.engine.domain),
            app.engine.clock, per_second=settings.telegram_per_second,
            chat_interval=settings.telegram_chat_interval,
            chat_burst=settings.telegram_chat_burst,
            lease=timedelta(seconds=settings.outbox_lease_seconds),
            ttl=timedelta(hours=settings.outbox_message_ttl_hours),
        )  # fmt: skip
        app.engine.on_queued = self.sender.wake
        self.jobs = build_scheduler(app)
        self.stop = asyncio.Event()
        self._sender_task: asyncio.Task[None] | None = None

    async def _start_sender(self) -> None:
        await set_commands(self.bot, self.app.engine.domain)
        self._sender_task = asyncio.create_task(self.sender.run(self.stop), name="outbox-sender")
        self.jobs.start()

    async def _stop_sender(self) -> None:
        if self.jobs.running:
            self.jobs.shutdown(wait=False)
        self.stop.set()
        if self._sender_task:
            self.sender.wake()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._sender_task, 10)

    async def run_polling(self) -> None:
        me = await self.bot.get_me()
        log.info("polling as @%s", me.username)
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self._start_sender()
        try:
            await self.dp.start_polling(
                self.bot,
                allowed_updates=ALLOWED_UPDATES,
                handle_signals=True,
                close_bot_session=False,
            )
        finally:
            await self._stop_sender()
            await self.bot.session.close()

    def webhook_app(self) -> web.Application:
        from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application

        settings = self.app.settings
        web_app = web.Application()
        SimpleRequestHandler(
            dispatcher=self.dp, bot=self.bot, secret_token=settings.webhook_secret
        ).register(web_app, path=settings.webhook_path)
        setup_application(web_app, self.dp, bot=self.bot)

        async def on_startup(_: web.Application) -> None:
            await self._start_sender()

        async def on_shutdown(_: web.Application) -> None:
            await self._stop_sender()

        web_app.on_startup.append(on_startup)
        web_app.on_shutdown.append(on_shutdown)
        return web_app

    async def run_webhook(self) -> None:
        settings = self.app.settings
        runner = web.AppRunner(self.webhook_app())
        await runner.setup()
        site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
        await site.start()
        # Only now that the port is open: tell Telegram where to deliver.
        await self.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )
        log.info(
            "webhook on %s:%d%s",
            settings.webhook_host,
            settings.webhook_port,
            settings.webhook_path,
        )
        try:
            await _wait_for_signal()
        finally:
            await runner.cleanup()


async def _wait_for_signal() -> None:
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
