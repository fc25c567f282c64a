"""The Telegram channel (aiogram 3): native input → engine, outbox messages → Bot API.

- **Handling.** One catch-all router feeds private chats to the engine; buttons become an
  inline keyboard, navigation buttons (Kembali / Menu) a last row.
- **Private chats only.** Conversations are keyed by chat, so a group would share one
  person's data with every member. A group, supergroup or channel gets one short answer with
  a link to a private chat, then the bot leaves it; nothing about it is stored
  (:class:`PrivateOnly`). Staff groups (``allowed``) are let through for their own router.
- **Nothing is confirmed before it is stored.** Polling runs our own loop
  (:class:`~bot.channels.polling.UpdatePoller`): the ``getUpdates`` offset passes an update
  only once its handler returned, and an update whose handler met an unreachable database
  (:class:`StorageUnavailable`, which the handlers let through) is kept and tried again.
  Webhooks are handled before answering: 200 once stored, 503 while the database is
  unavailable (Telegram delivers again; the engine drops what it already has).
- **Stopping** (SIGTERM/SIGINT): no new update is taken, those in hand are finished (up to
  ``SHUTDOWN_GRACE`` seconds), the sender finishes what it holds, exit code 0.
- **Starting** while Telegram is unreachable: ``getMe``, ``deleteWebhook`` / ``setWebhook``
  and ``setMyCommands`` are retried with capped backoff and one log line per try; a signal
  stops the wait cleanly. A token Telegram refuses is a configuration error (exit code 2).
- **Delivery errors** are sorted for the sender (:class:`TelegramDelivery`): 429 waits, 403
  or a chat that is gone stops the chat, another 400 drops that message alone, everything
  else (network, 5xx, timeouts) is transient and retried while the message is useful.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import math
import signal
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Hashable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher, Router
from aiogram.enums import ChatType, ContentType
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    ChatMemberUpdated,
    Message,
    Update,
)
from aiohttp import ClientError, web

from bot.app import App
from bot.channels.polling import UpdatePoller, backoff

# The sending half lives apart (``jkp-bot scheduler`` sends without this runtime); its
# names stay importable from here.
from bot.channels.telegram_delivery import CAPTION as CAPTION
from bot.channels.telegram_delivery import CHANNEL as CHANNEL
from bot.channels.telegram_delivery import MAX_TEXT as MAX_TEXT
from bot.channels.telegram_delivery import BotSession as BotSession
from bot.channels.telegram_delivery import KeptResponses as KeptResponses
from bot.channels.telegram_delivery import TelegramDelivery as TelegramDelivery
from bot.channels.telegram_delivery import keep_response_model as keep_response_model
from bot.channels.telegram_delivery import keyboard as keyboard
from bot.channels.telegram_delivery import make_bot as make_bot
from bot.channels.telegram_delivery import request_timeout as request_timeout
from bot.channels.telegram_delivery import split_text as split_text
from bot.core.domain import Domain
from bot.core.types import EventKind, InboundEvent, say
from bot.settings import SettingsError
from bot.storage import people
from bot.storage.db import StorageUnavailable
from scheduler.fallback import sms_fallback
from scheduler.jobs import build_scheduler
from scheduler.monthly import finish_sweeps
from scheduler.outbox import OutboxSender

CV_PHOTO_SECONDS = 10  # the longest a CV waits for the profile photo
COMMANDS = (
    "start", "menu", "kembali", "batal", "bantuan", "petugas", "data", "hapus", "stop", "mulai",
)  # fmt: skip
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member", "channel_post"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SHUTDOWN_GRACE = 8.0  # seconds to finish updates and requests in hand on SIGTERM

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
    document = message.document.file_id if message.document else ""  # for a counselor
    return InboundEvent(
        CHANNEL, sender, EventKind.MEDIA, media=ContentType(message.content_type).value,
        attachment=photo or document,
        event_id=event_id,
    )  # fmt: skip


def event_from_callback(query: CallbackQuery, update_id: int | None) -> InboundEvent | None:
    chat = query.message.chat.id if query.message else query.from_user.id
    return InboundEvent(
        CHANNEL, str(chat), EventKind.CHOICE, payload=query.data or "",
        event_id=str(update_id) if update_id is not None else None,
    )  # fmt: skip


def chat_of(update: Update) -> Hashable:
    """Whose update this is: updates of one chat are handled in order."""
    if update.message:
        return update.message.chat.id
    if update.callback_query:
        query = update.callback_query
        return query.message.chat.id if query.message else query.from_user.id
    if update.my_chat_member:
        return update.my_chat_member.chat.id
    if update.channel_post:
        return update.channel_post.chat.id
    return ("update", update.update_id)


class PrivateOnly:
    """Groups, supergroups and channels: one short answer with a link to a private chat,
    then leave. Nothing is stored about them (no person, identity, processed event or outbox
    row); the answer goes straight to the Bot API. "Once" is remembered in memory for the
    last ``remember`` chats only, so after a restart a group that adds the bot again is told
    again. ``allowed`` holds group ids the bot stays in (the counselors' group); their
    updates pass on to the routers after this one."""

    def __init__(
        self, domain: Domain, allowed: Collection[int] = (), *, remember: int = 10_000
    ) -> None:
        self.domain = domain
        self.allowed = frozenset(allowed)
        self.remember = remember
        self._told: OrderedDict[int, None] = OrderedDict()

    def refuses(self, chat_type: str, chat_id: int) -> bool:
        return chat_type != ChatType.PRIVATE and chat_id not in self.allowed

    async def refuse(self, bot: Bot, chat_id: int, chat_type: str) -> None:
        if chat_id in self._told:
            return
        self._told[chat_id] = None
        while len(self._told) > self.remember:
            self._told.popitem(last=False)
        try:
            me = await bot.me()
            link = f"https://t.me/{me.username}"
            text = self.domain.render(say("utter_private_only", link=link), CHANNEL).text
            await bot.send_message(chat_id=chat_id, text=text)
        except Exception as e:  # a channel we cannot post in, a group that muted us
            log.info("could not answer %s chat %s: %s", chat_type, chat_id, e)
        try:
            await bot.leave_chat(chat_id=chat_id)
            log.info("left %s chat %s: the assistant serves private chats only", chat_type,
                     chat_id)  # fmt: skip
        except Exception as e:
            log.warning("could not leave %s chat %s: %s", chat_type, chat_id, e)

    def router(self) -> Router:
        router = Router(name="private-only")
        joined = ("member", "administrator", "restricted", "creator")

        refused = where(lambda m: self.refuses(m.chat.type, m.chat.id))

        @router.message(refused)
        @router.channel_post(refused)
        async def on_group_message(message: Message, bot: Bot) -> None:
            await self.refuse(bot, message.chat.id, message.chat.type)

        @router.callback_query(
            where(lambda q: q.message is not None and self.refuses(q.message.chat.type,
                                                                   q.message.chat.id))
        )  # fmt: skip
        async def on_group_button(query: CallbackQuery, bot: Bot) -> None:
            assert query.message is not None
            with contextlib.suppress(Exception):
                await query.answer()
            await self.refuse(bot, query.message.chat.id, query.message.chat.type)

        @router.my_chat_member(refused)
        async def on_added(update: ChatMemberUpdated, bot: Bot) -> None:
            if update.new_chat_member.status in joined:
                await self.refuse(bot, update.chat.id, update.chat.type)

        return router


def where(test: Callable[[Any], bool]) -> Callable[[Any], Awaitable[bool]]:
    """A handler filter that aiogram awaits in the event loop. aiogram runs a filter that
    is not a coroutine function (a lambda, a magic ``F`` filter) in a thread, through
    ``asyncio.to_thread``, for every update it checks: a thread hand-off per filter per
    update, each costing more than the test itself."""

    async def check(subject: Any) -> bool:
        return test(subject)

    return check


def engine_router(app: App) -> Router:
    """Every private message and button press goes to the engine. The handlers let
    :class:`StorageUnavailable` through (aiogram re-raises what no error handler takes), so
    the update stays unconfirmed and comes again. An evidence photo is received (downloaded,
    checked, stored) before its turn, in the chat's order (bot/evidence/intake.py)."""
    router = Router(name="engine")
    private = where(lambda x: x.chat.type == ChatType.PRIVATE)
    engine, intake = app.engine, app.intake

    @router.message(private)
    async def on_message(message: Message, event_update: Update, bot: Bot) -> None:
        event = event_from_message(message, event_update.update_id)
        async with intake.in_order(event):  # a chat's messages in order, downloads included
            await engine.handle(await intake.telegram(bot, message, event))  # evidence photos

    @router.callback_query(where(lambda q: q.message is None or q.message.chat.type == "private"))
    async def on_callback(query: CallbackQuery, event_update: Update, bot: Bot) -> None:
        # The engine first: a message typed right after the tap must not overtake it.
        event = event_from_callback(query, event_update.update_id)
        if event is not None:
            async with intake.in_order(event):  # after the photos sent before the tap
                await engine.handle(event)
        with contextlib.suppress(Exception):
            await query.answer()
        await _mark_chosen(query, bot)

    @router.my_chat_member(private)
    async def on_member(update: ChatMemberUpdated) -> None:
        if update.new_chat_member.status in ("kicked", "left"):
            async with engine.db.write() as conn:
                await people.mark_blocked(conn, CHANNEL, str(update.chat.id))

    return router


def build_dispatcher(
    app: App, guard: PrivateOnly | None = None, routers: Sequence[Router] = ()
) -> Dispatcher:
    """The private-only guard first, then ``routers`` (a staff group's, say: the guard lets
    its allowed groups through), then the engine (private chats)."""
    dp = Dispatcher()
    dp.include_router((guard or PrivateOnly(app.engine.domain)).router())
    for router in routers:
        dp.include_router(router)
    dp.include_router(engine_router(app))
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


async def set_commands(bot: Bot, domain: Domain) -> bool:
    commands = [
        BotCommand(command=c, description=str(domain.variation(f"utter_cmd_{c}", CHANNEL)["text"]))
        for c in COMMANDS
    ]
    return await bot.set_my_commands(commands)


# -- running ----------------------------------------------------------------------------
T = TypeVar("T")

#: Errors that mean "Telegram cannot be reached right now" (not a refusal).
UNREACHABLE = (TelegramNetworkError, TelegramServerError, ClientDecodeError, ClientError,
               TimeoutError, OSError)  # fmt: skip


class TelegramRuntime:
    """Bot + dispatcher + outbox sender + jobs, run by polling or by webhook."""

    def __init__(
        self, app: App, *, staff_groups: Collection[int] = (), routers: Sequence[Router] = ()
    ) -> None:
        """``staff_groups``: group ids the bot stays in and serves with ``routers`` (e.g. the
        counselors' group); every other group or channel is answered once and left."""
        settings = app.settings
        self.app = app
        lease = settings.outbox_lease_seconds
        self.bot = make_bot(
            settings.telegram_token, settings.telegram_api_base, timeout=request_timeout(lease)
        )
        self.guard = PrivateOnly(app.engine.domain, staff_groups)
        self.dp = build_dispatcher(app, self.guard, routers)
        # Essential messages of a blocked chat, or late ones, go by another channel (SMS).
        self.fallback = sms_fallback(app, self._wake) if settings.sms.enabled else None
        self.sender = OutboxSender(
            app.db, CHANNEL,
            TelegramDelivery(self.bot, app.engine.domain, deadline=lease * 0.8, files=app.files),
            app.engine.clock, per_second=settings.telegram_per_second,
            chat_interval=settings.telegram_chat_interval,
            chat_burst=settings.telegram_chat_burst,
            lease=timedelta(seconds=lease),
            ttl=timedelta(hours=settings.outbox_message_ttl_hours),
            fallback=self.fallback,
        )  # fmt: skip
        self.senders: list[OutboxSender] = [self.sender]  # more channels: add_sender
        app.engine.attach_sender(self.sender)
        # Other webhooks served on the same aiohttp app (SMS/WhatsApp: SmsRuntime.attach);
        # with polling they get a server of their own on WEBHOOK_HOST:WEBHOOK_PORT.
        self.web_routes: list[Callable[[web.Application], None]] = []
        app.engine.on_queued = self._wake
        app.cv.photos = self.profile_photo  # the CV shows the profile photo (a Telegram file)
        self.poller = UpdatePoller(self._get_updates, self._feed, chat_of, grace=SHUTDOWN_GRACE)
        self.stop = asyncio.Event()  # set by SIGTERM/SIGINT
        # a long sweep ends its batch on stop; essential messages fall back to SMS
        self.jobs = build_scheduler(app, self.stop, fallback=self.fallback)
        self.startup_backoff = (1.0, 60.0)  # first wait, longest wait (seconds)
        self._sender_stop = asyncio.Event()
        self._sender_task: asyncio.Task[None] | None = None
        self._extra_tasks: list[asyncio.Task[None]] = []

    async def profile_photo(self, file_id: str) -> bytes | None:
        """A profile photo's bytes, for the CV (downloaded within the evidence size limit
        and :data:`CV_PHOTO_SECONDS` into a private temporary file, read, deleted): the CV
        is made inside the person's turn, so a slow download makes it without the photo."""
        from bot.evidence.files import download_telegram_file

        limits = self.app.settings.evidence
        limits = replace(limits, download_timeout=min(limits.download_timeout, CV_PHOTO_SECONDS))
        path = await download_telegram_file(self.bot, file_id, self.app.files.tmp_dir, limits)
        try:
            return await asyncio.to_thread(path.read_bytes)
        finally:
            path.unlink(missing_ok=True)

    def add_sender(self, sender: OutboxSender) -> None:
        """Another outbox channel delivered with this bot (the counselors' group), started
        and stopped with the rest and woken whenever a turn queued messages."""
        self.senders.append(sender)
        self.app.engine.attach_sender(sender)

    def _wake(self, channel: str | None = None) -> None:
        for sender in self.senders:
            sender.wake()

    # -- the pieces -------------------------------------------------------------------
    async def _get_updates(self, offset: int | None, wait: float) -> list[Update]:
        method = GetUpdates(offset=offset, timeout=int(wait), allowed_updates=ALLOWED_UPDATES)
        return await self.bot(method, request_timeout=math.ceil(self.bot.session.timeout + wait))

    async def _feed(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)

    async def _retry(self, what: str, call: Callable[[], Awaitable[T]]) -> T | None:
        """``call`` until Telegram answers; None when stopped meanwhile. A refused token is
        a configuration error."""
        attempt = 0
        while True:
            try:
                result = await call()
            except TelegramUnauthorizedError:
                raise SettingsError(
                    "TELEGRAM_BOT_TOKEN was refused by Telegram (401 Unauthorized)"
                ) from None
            except TelegramRetryAfter as e:
                delay: float = e.retry_after
                problem = f"rate limited for {e.retry_after} s"
            except UNREACHABLE as e:
                base, cap = self.startup_backoff
                delay = backoff(attempt, base=base, cap=cap, rng=self.poller.rng)
                problem = str(e) or type(e).__name__
            else:
                if attempt:
                    log.info("Telegram answered %s", what)
                return result
            attempt += 1
            log.warning("Telegram is not reachable (%s: %s); trying again in %.0f s", what,
                        problem, delay)  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), delay)
            if self.stop.is_set():
                log.info("stopped while waiting for Telegram")
                return None

    async def _prepare(self) -> bool:
        """getMe and setMyCommands, retried; False when stopped meanwhile."""
        me = await self._retry("getMe", self.bot.get_me)
        if me is None:
            return False
        log.info("Telegram bot @%s", me.username)
        domain = self.app.engine.domain
        try:
            await self._retry("setMyCommands", lambda: set_commands(self.bot, domain))
        except TelegramAPIError as e:  # a refused command list is not worth stopping for
            log.error("setMyCommands refused: %s", e)
        return not self.stop.is_set()

    def _start_background(self) -> None:
        self._sender_task = asyncio.create_task(
            self.sender.run(self._sender_stop), name="outbox-sender"
        )
        self._extra_tasks = [
            asyncio.create_task(s.run(self._sender_stop), name=f"outbox-sender-{s.channel}")
            for s in self.senders[1:]
        ]
        self.jobs.start()

    async def _stop_background(self) -> None:
        self.stop.set()
        await finish_sweeps(SHUTDOWN_GRACE)  # before the shutdown, which cancels running jobs
        if self.jobs.running:
            self.jobs.shutdown(wait=False)
        self._sender_stop.set()
        tasks = {t for t in (self._sender_task, *self._extra_tasks) if t is not None}
        if tasks:
            self._wake()
            _, late = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE)
            if late:
                log.warning("outbox sender did not finish in %.0f s; its claims expire by "
                            "themselves", SHUTDOWN_GRACE)  # fmt: skip
                for task in late:
                    task.cancel()
                await asyncio.wait(late)

    def _handle_signals(self) -> Callable[[], None]:
        loop = asyncio.get_running_loop()

        def on_signal(sig: signal.Signals) -> None:
            if not self.stop.is_set():
                log.info("%s: stopping after the work in hand", sig.name)
            self.stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal, sig)

        def remove() -> None:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

        return remove

    # -- polling ----------------------------------------------------------------------
    def _routes_app(self) -> web.Application:
        web_app = web.Application()
        for add in self.web_routes:
            add(web_app)
        return web_app

    async def _serve(self, web_app: web.Application) -> web.AppRunner:
        settings = self.app.settings
        runner = web.AppRunner(web_app, shutdown_timeout=SHUTDOWN_GRACE)
        await runner.setup()
        await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
        log.info("serving webhooks on %s:%d", settings.webhook_host, settings.webhook_port)
        return runner

    async def run_polling(self) -> None:
        remove_handlers = self._handle_signals()
        runner: web.AppRunner | None = None
        try:
            if not await self._prepare():
                return
            if await self._retry("deleteWebhook", self.bot.delete_webhook) is None:
                return
            if self.web_routes:
                runner = await self._serve(self._routes_app())
            self._start_background()
            log.info("polling for updates")
            await self.poller.run(self.stop)
        finally:
            if runner is not None:
                await runner.cleanup()
            await self._stop_background()
            await self.bot.session.close()
            remove_handlers()
            log.info("stopped")

    # -- webhook ----------------------------------------------------------------------
    async def on_webhook(self, request: web.Request) -> web.Response:
        """One update, handled before answering: 200 once stored, 503 while the database
        is unavailable (Telegram delivers it again), 401 without the right secret."""
        secret = self.app.settings.webhook_secret.encode()
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secret or not hmac.compare_digest(given, secret):
            return web.Response(status=401)
        try:
            update = Update.model_validate(await request.json(), context={"bot": self.bot})
        except ValueError as e:  # not JSON, or not an Update (pydantic errors are ValueErrors)
            log.warning("webhook: not an update: %s", str(e)[:200])
            return web.Response(status=400)
        try:
            await self._feed(update)
        except StorageUnavailable as e:
            log.warning("database unavailable (%s); update %d answered 503, Telegram will "
                        "deliver it again", str(e)[:200], update.update_id)  # fmt: skip
            return web.Response(status=503, headers={"Retry-After": "5"})
        except Exception:
            log.exception("update %d failed", update.update_id)
            return web.Response(status=500)
        return web.Response(status=200)

    def webhook_app(self) -> web.Application:
        web_app = self._routes_app()
        web_app.router.add_post(self.app.settings.webhook_path, self.on_webhook)
        return web_app

    async def run_webhook(self) -> None:
        settings = self.app.settings
        remove_handlers = self._handle_signals()
        runner = web.AppRunner(self.webhook_app(), shutdown_timeout=SHUTDOWN_GRACE)
        try:
            if not await self._prepare():
                return
            await runner.setup()
            site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
            await site.start()
            self._start_background()
            # Only now that the port is open: tell Telegram where to deliver.
            hook = await self._retry("setWebhook", lambda: self._set_webhook())
            if hook is None:
                return
            log.info("webhook on %s:%d%s", settings.webhook_host, settings.webhook_port,
                     settings.webhook_path)  # fmt: skip
            await self.stop.wait()
        finally:
            # Stop accepting, let the requests in flight finish (up to SHUTDOWN_GRACE).
            await runner.cleanup()
            await self._stop_background()
            await self.bot.session.close()
            remove_handlers()
            log.info("stopped")

    async def _set_webhook(self) -> bool:
        settings = self.app.settings
        try:
            return await self.bot.set_webhook(
                settings.webhook_url,
                secret_token=settings.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        except TelegramBadRequest as e:
            raise SettingsError(f"WEBHOOK_URL was refused by Telegram: {e.message}") from None
