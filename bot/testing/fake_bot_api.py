"""A fake Telegram Bot API server for tests.

:class:`FakeBotAPI` is a small aiohttp.web application bound to ``127.0.0.1`` that speaks enough
of the Bot API for aiogram (or the real bot process, via ``TELEGRAM_API_BASE``) to make real HTTP
round trips against it. It records every authorised request, serves queued updates through
``getUpdates`` long polling and can be told to fail the next call of a method, or to misbehave
for a number of calls or a time window (:meth:`FakeBotAPI.inject`: errors, 5xx with an HTML
body, artificial latency, hanging requests, dropped connections).

Usage::

    async with FakeBotAPI() as api:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))
        bot = Bot(api.token, session=session)
        api.push_update(text_update(42, "/start"))
        ...
        await api.wait_for("sendMessage", predicate=lambda c: c.params["chat_id"] == 42)

Files: :meth:`FakeBotAPI.add_file` registers bytes under a ``file_id``; ``getFile`` answers
with their ``file_path`` and size, and ``/file/bot<token>/<file_path>`` serves them, as the
real server does. Each file can misbehave on purpose: a ``getFile`` size that lies (or is
missing), no ``Content-Length`` (chunked), a body cut short with the connection dropped, an
endless body, an HTTP error. Files larger than :data:`MAX_DOWNLOAD_BYTES` make ``getFile``
answer "file is too big", as Telegram does for bots.

The module also provides update builders (:func:`text_update`, :func:`callback_update`,
:func:`sticker_update`, :func:`voice_update`, :func:`location_update`, :func:`photo_update`,
:func:`document_update`, :func:`album_updates`, :func:`group_text_update`,
:func:`channel_post_update`, :func:`bot_added_update`) returning plain dicts in Bot API
``Update`` JSON shape without ``update_id``, so that :meth:`FakeBotAPI.push_update` assigns
one.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Literal

from aiohttp import web

__all__ = [
    "MAX_DOWNLOAD_BYTES",
    "MAX_LONG_POLL_SECONDS",
    "ApiCall",
    "FakeBotAPI",
    "FakeFile",
    "Fault",
    "album_updates",
    "bot_added_update",
    "callback_update",
    "channel_post_update",
    "document_update",
    "forum_callback_update",
    "forum_update",
    "group_text_update",
    "location_update",
    "photo_update",
    "sticker_update",
    "text_update",
    "voice_update",
]

JsonDict = dict[str, Any]

#: ``getUpdates`` never waits longer than this, whatever ``timeout`` the client asks for.
MAX_LONG_POLL_SECONDS: Final[float] = 2.0

#: Bots may download files of up to 20 MB (Bot API, getFile).
MAX_DOWNLOAD_BYTES: Final[int] = 20 * 1024 * 1024
_FILE_CHUNK: Final[int] = 64 * 1024

DEFAULT_TOKEN: Final[str] = "123456:TEST-TOKEN"
DEFAULT_BOT_USERNAME: Final[str] = "jkp_test_bot"
BOT_FIRST_NAME: Final[str] = "Pendamping JKP"

_INT_PARAMS: Final[frozenset[str]] = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "message_thread_id",
     "reply_to_message_id"}
)  # fmt: skip
_INT_RE: Final[re.Pattern[str]] = re.compile(r"-?\d+")

_METHODS_RETURNING_TRUE: Final[tuple[str, ...]] = (
    "answerCallbackQuery",
    "setMyCommands",
    "deleteMyCommands",
    "setWebhook",
    "deleteWebhook",
    "setChatMenuButton",
    "sendChatAction",
    "close",
    "logOut",
    "deleteMessage",
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
)


@dataclass(frozen=True)
class ApiCall:
    """One recorded Bot API request: the method name and its decoded parameters."""

    method: str
    params: dict[str, Any]


@dataclass
class FakeFile:
    """A file the fake serves, and how it misbehaves (see :meth:`FakeBotAPI.add_file`)."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    reported_size: int | None  # what getFile says; None leaves ``file_size`` out
    content_length: bool = True  # False: chunked transfer, no size announced
    truncate_at: int | None = None  # send this many bytes of the body, then drop the connection
    endless: bool = False  # repeat ``data`` forever (chunked) until the client gives up
    stall: bool = False  # send ``data``, then nothing more until the server stops
    status: int = 200  # the file URL answers with this status (and no body) when not 200
    downloads: int = 0  # requests of the file URL


class _ApiError(Exception):
    """Raised by method handlers to answer ``{"ok": false, ...}``."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after


_Handler = Callable[[JsonDict], Awaitable[Any]]

FaultKind = Literal["error", "html", "delay", "hang", "drop"]


@dataclass
class Fault:
    """A way for matching calls to misbehave (see :meth:`FakeBotAPI.inject`).

    - ``error``: answer ``{"ok": false}`` with ``error_code`` (500, 502, 400...)
    - ``html``: answer ``error_code`` with an HTML body, as a proxy in front of the API does
    - ``delay``: wait ``seconds`` (real time), then handle the call normally
    - ``hang``: wait until :meth:`FakeBotAPI.release` or the server stops, then answer 504
      without handling the call (a client times out first)
    - ``drop``: close the connection without an answer
    """

    method: str
    kind: FaultKind
    error_code: int = 500
    description: str = "Internal Server Error"
    retry_after: int | None = None
    seconds: float = 0.0
    times: int | None = None  # calls it still applies to; None: no limit
    until: float | None = None  # on the server's clock; None: no end
    when: Callable[[ApiCall], bool] | None = None
    hits: int = field(default=0, init=False)

    def applies(self, call: ApiCall, now: float) -> bool:
        if self.method not in ("*", call.method.lower()):
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        if self.until is not None and now >= self.until:
            return False
        return self.when is None or self.when(call)


class FakeBotAPI:
    """A Bot API server on 127.0.0.1 that records every request."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.clock = clock  # the time ``Fault.until`` is measured on
        bot_id_part = token.split(":", 1)[0]
        self.bot_id = int(bot_id_part) if bot_id_part.isdigit() else 1
        self.calls: list[ApiCall] = []

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._stopping = False

        self._pending_updates: list[JsonDict] = []
        self._last_update_id = 0
        self._update_event = asyncio.Event()
        self._stopped = asyncio.Event()
        self._call_event = asyncio.Event()

        self._failures: dict[str, list[_ApiError]] = {}
        self._faults: list[Fault] = []
        self._released = asyncio.Event()
        self.delivered_updates: list[int] = []  # update ids returned by getUpdates, in order
        self.left_chats: list[int] = []
        self._next_message_id = 0
        self._messages: dict[tuple[int, int], JsonDict] = {}
        self._sent_texts: dict[int, list[str]] = {}
        self._delivered: dict[int, list[str]] = {}
        self.files: dict[str, FakeFile] = {}
        self._files_by_path: dict[str, FakeFile] = {}
        # forum topics: chat -> thread id -> {"name", "closed", "deleted"}
        self.topics: dict[int, dict[int, JsonDict]] = {}
        self._next_thread_id = 1000
        self._in_topic: dict[tuple[int, int | None], list[JsonDict]] = {}

        handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getFile": self._get_file,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "getWebhookInfo": self._get_webhook_info,
            "getMyCommands": self._get_my_commands,
            "getChatMenuButton": self._get_chat_menu_button,
            "leaveChat": self._leave_chat,
            # forum topics (a supergroup with topics: the counselors' group)
            "createForumTopic": self._create_forum_topic,
            "deleteForumTopic": self._delete_forum_topic,
            "closeForumTopic": self._close_forum_topic,
            "reopenForumTopic": self._reopen_forum_topic,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
        }
        for name in _METHODS_RETURNING_TRUE:
            handlers[name] = self._return_true
        # Telegram method names are case-insensitive.
        self._handlers: dict[str, tuple[str, _Handler]] = {
            name.lower(): (name, handler) for name, handler in handlers.items()
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self, port: int = 0) -> None:
        """Bind to 127.0.0.1 (a random free port when ``port`` is 0) and start serving."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI is already running")
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._serve_file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._stopping = False
        self._stopped.clear()
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving; wakes pending long polls. Safe to call twice."""
        runner = self._runner
        if runner is None:
            return
        self._stopping = True
        self._update_event.set()
        self._released.set()
        self._stopped.set()
        self._runner = None
        await runner.cleanup()

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None or self._runner is None:
            raise RuntimeError("FakeBotAPI is not running; call start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """E.g. ``http://127.0.0.1:43123``, suitable for ``TelegramAPIServer.from_base``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def bot_user(self) -> JsonDict:
        """The ``User`` object of the bot, as returned by ``getMe``."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    # ------------------------------------------------------------------ test API

    def calls_of(self, method: str) -> list[ApiCall]:
        """Recorded calls of ``method`` (case-insensitive), in order."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def sent_texts(self, chat_id: int) -> list[str]:
        """Texts sent (``sendMessage``) or edited in (``editMessageText``) for ``chat_id``."""
        return list(self._sent_texts.get(chat_id, []))

    def messages_to(self, chat_id: int) -> list[str]:
        """Texts of the messages delivered to ``chat_id`` (``sendMessage`` answered ok; no
        edits, no failed calls), in order: what the person sees arrive."""
        return list(self._delivered.get(chat_id, []))

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue ``update`` for ``getUpdates``; assigns an increasing ``update_id`` if missing."""
        queued = copy.deepcopy(update)
        update_id = queued.get("update_id")
        if not isinstance(update_id, int):
            update_id = self._last_update_id + 1
            queued["update_id"] = update_id
        self._last_update_id = max(self._last_update_id, update_id)
        self._pending_updates.append(queued)
        self._update_event.set()
        return update_id

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates not yet confirmed by a ``getUpdates`` offset (copies)."""
        return copy.deepcopy(self._pending_updates)

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        retry_after: int | None = None,
    ) -> None:
        """Make the next call of ``method`` answer ``{"ok": false, ...}`` with HTTP ``error_code``.

        E.g. ``fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)``
        or ``fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")``.
        Several failures for the same method are used up in the order they were queued.
        """
        error = _ApiError(error_code, description, retry_after)
        self._failures.setdefault(method.lower(), []).append(error)

    def inject(
        self,
        method: str,
        kind: FaultKind = "error",
        *,
        error_code: int = 500,
        description: str = "Internal Server Error",
        retry_after: int | None = None,
        seconds: float = 0.0,
        times: int | None = None,
        until: float | None = None,
        when: Callable[[ApiCall], bool] | None = None,
    ) -> Fault:
        """Make calls of ``method`` (``"*"``: any) misbehave, for ``times`` calls, until the
        server's clock reaches ``until``, and only those ``when`` accepts; the first fault
        that applies wins. E.g. five minutes of 502 for one chat::

            api.inject("sendMessage", "error", error_code=502, description="Bad Gateway",
                       until=api.clock() + 300, when=lambda c: c.params["chat_id"] == 42)
        """
        fault = Fault(method.lower(), kind, error_code, description, retry_after, seconds,
                      times, until, when)  # fmt: skip
        self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self._faults.clear()

    def release(self) -> None:
        """Let every hanging request go (it answers 504); later ones hang again."""
        self._released.set()
        self._released = asyncio.Event()

    def add_file(
        self,
        data: bytes,
        *,
        file_id: str | None = None,
        file_path: str | None = None,
        reported_size: int | Literal["actual"] | None = "actual",
        content_length: bool = True,
        truncate_at: int | None = None,
        endless: bool = False,
        stall: bool = False,
        status: int = 200,
    ) -> FakeFile:
        """Register ``data`` under ``file_id`` (a fresh one by default) for ``getFile`` and the
        file URL. ``reported_size`` is the ``file_size`` getFile answers (the real size by
        default; None leaves it out); ``content_length=False`` streams without a size;
        ``truncate_at`` sends only that many bytes of a body announced whole, then drops the
        connection; ``endless`` repeats ``data`` until the client stops reading; ``stall``
        sends ``data`` and then nothing (chunked) until the server stops; ``status`` makes
        the file URL fail."""
        number = len(self.files) + 1
        file_id = file_id or f"BQACAgUAAxkBAAIBfakeFile{number}"
        fake = FakeFile(
            file_id=file_id,
            file_unique_id=f"AgADfakeUnique{number}",
            file_path=file_path or f"documents/file_{number}.jpg",
            data=data,
            reported_size=len(data) if reported_size == "actual" else reported_size,
            content_length=content_length,
            truncate_at=truncate_at,
            endless=endless,
            stall=stall,
            status=status,
        )
        self.files[file_id] = fake
        self._files_by_path[fake.file_path] = fake
        return fake

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - part of the documented test API
        predicate: Callable[[ApiCall], bool] | None = None,
    ) -> list[ApiCall]:
        """Wait until at least ``count`` calls of ``method`` (matching ``predicate``) were recorded.

        Returns all matching calls recorded so far. Raises :class:`TimeoutError` listing the
        recorded methods when the deadline passes first.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [c for c in self.calls_of(method) if predicate is None or predicate(c)]
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._timeout_message(method, count, timeout, predicate, found))
            self._call_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._call_event.wait(), remaining)

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - part of the documented test API
    ) -> bool:
        """Wait until ``condition()`` holds, checking after every recorded call; returns
        whether it held before the deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._call_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._call_event.wait(), min(remaining, 0.5))
        return True

    def _timeout_message(
        self,
        method: str,
        count: int,
        timeout: float,
        predicate: Callable[[ApiCall], bool] | None,
        found: list[ApiCall],
    ) -> str:
        which = f"{method} call(s) matching the predicate" if predicate else f"{method} call(s)"
        summary: list[str] = []
        for name, group in itertools.groupby(call.method for call in self.calls):
            repeats = sum(1 for _ in group)
            summary.append(name if repeats == 1 else f"{name} x{repeats}")
        lines = [
            f"timed out after {timeout:g}s waiting for {count} {which}; got {len(found)}.",
            f"Recorded methods ({len(self.calls)} calls): {', '.join(summary) or 'none'}",
        ]
        texts = [
            f"  {c.method}(chat_id={c.params.get('chat_id')!r}, text={c.params.get('text')!r})"
            for c in self.calls
            if "text" in c.params
        ]
        if texts:
            lines.append("Texts sent:")
            lines.extend(texts[-10:])
        if self._pending_updates:
            lines.append(f"Updates still pending: {len(self._pending_updates)}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ HTTP layer

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error_response(_ApiError(401, "Unauthorized"))
        raw_method = request.match_info["method"]
        try:
            params = await _read_params(request)
        except _ApiError as error:
            return _error_response(error)
        known = self._handlers.get(raw_method.lower())
        method_name = known[0] if known else raw_method
        self.calls.append(ApiCall(method=method_name, params=params))
        self._call_event.set()

        failures = self._failures.get(raw_method.lower())
        if failures:
            return _error_response(failures.pop(0))
        now = self.clock()
        fault = next((f for f in self._faults if f.applies(self.calls[-1], now)), None)
        if fault is not None:
            fault.hits += 1
            if fault.kind == "delay":
                await asyncio.sleep(fault.seconds)
            else:
                return await self._misbehave(request, fault)
        if known is None:
            return _error_response(_ApiError(404, "Not Found: method not found"))
        try:
            result = await known[1](params)
        except _ApiError as error:
            return _error_response(error)
        return web.json_response({"ok": True, "result": result})

    async def _misbehave(self, request: web.Request, fault: Fault) -> web.Response:
        if fault.kind == "hang":
            released = self._released
            await released.wait()
            return _error_response(_ApiError(504, "Gateway Timeout"))
        if fault.kind == "drop":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # aiohttp ends the handler without writing
        if fault.kind == "html":
            return web.Response(
                status=fault.error_code, content_type="text/html",
                text=f"<html><body><h1>{fault.error_code} {fault.description}</h1></body></html>",
            )  # fmt: skip
        return _error_response(_ApiError(fault.error_code, fault.description, fault.retry_after))

    # ------------------------------------------------------------------ methods

    async def _return_true(self, params: JsonDict) -> bool:
        return True

    async def _leave_chat(self, params: JsonDict) -> bool:
        self.left_chats.append(_chat_id(params))
        return True

    async def _get_me(self, params: JsonDict) -> JsonDict:
        return self.bot_user

    async def _get_webhook_info(self, params: JsonDict) -> JsonDict:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    async def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        return []

    async def _get_chat_menu_button(self, params: JsonDict) -> JsonDict:
        return {"type": "default"}

    async def _get_file(self, params: JsonDict) -> JsonDict:
        fake = self.files.get(str(params.get("file_id", "")))
        if fake is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if not fake.endless and len(fake.data) > MAX_DOWNLOAD_BYTES:
            raise _ApiError(400, "Bad Request: file is too big")
        result: JsonDict = {
            "file_id": fake.file_id,
            "file_unique_id": fake.file_unique_id,
            "file_path": fake.file_path,
        }
        if fake.reported_size is not None:
            result["file_size"] = fake.reported_size
        return result

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        fake = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or fake is None:
            return web.Response(status=404, text="Not Found")
        fake.downloads += 1
        if fake.status != 200:
            return web.Response(status=fake.status, text="error")
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        if fake.content_length and not (fake.endless or fake.stall):
            response.content_length = len(fake.data)
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        body = fake.data if fake.truncate_at is None else fake.data[: fake.truncate_at]
        try:
            if fake.endless:
                chunk = fake.data * (_FILE_CHUNK // max(1, len(fake.data)) + 1)
                while True:
                    await response.write(chunk)
            for start in range(0, len(body), _FILE_CHUNK):
                await response.write(body[start : start + _FILE_CHUNK])
            if fake.stall:
                await self._stopped.wait()
                return response
        except ConnectionResetError:  # the client stopped reading: what a size limit does
            return response
        if fake.truncate_at is not None:
            if request.transport is not None:
                request.transport.close()  # the rest never comes: the client sees it cut
            return response
        await response.write_eof()
        return response

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        offset = _int_param(params, "offset", 0)
        limit = max(1, min(_int_param(params, "limit", 100), 100))
        timeout = max(0.0, min(float(_int_param(params, "timeout", 0)), MAX_LONG_POLL_SECONDS))
        if offset > 0:
            # Confirmed updates are dropped for good, as on the real server.
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
        if not self._pending_updates and timeout > 0 and not self._stopping:
            self._update_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_event.wait(), timeout)
        batch = copy.deepcopy(self._pending_updates[:limit])
        self.delivered_updates.extend(u["update_id"] for u in batch)
        return batch

    async def _send_message(self, params: JsonDict) -> JsonDict:
        chat_id = _chat_id(params)
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _ApiError(400, "Bad Request: message text is empty")
        thread = self._thread(chat_id, params)
        self._next_message_id += 1
        message = self._message(chat_id, self._next_message_id, text, params.get("reply_markup"))
        self._in_thread(message, thread, params)
        self._messages[(chat_id, self._next_message_id)] = message
        self._sent_texts.setdefault(chat_id, []).append(text)
        self._delivered.setdefault(chat_id, []).append(text)
        return copy.deepcopy(message)

    # -- forum topics and files ------------------------------------------------------------
    def topic_messages(self, chat_id: int, thread: int | None = None) -> list[JsonDict]:
        """Messages the bot sent to a topic of ``chat_id`` (``None``: the General topic), in
        order: each a Message dict (``text``, or ``caption`` with ``photo``/``document``)."""
        return copy.deepcopy(self._in_topic.get((chat_id, thread), []))

    def topic_texts(self, chat_id: int, thread: int | None = None) -> list[str]:
        return [str(m.get("text") or m.get("caption") or "") for m in
                self.topic_messages(chat_id, thread)]  # fmt: skip

    def delete_topic(self, chat_id: int, thread: int) -> None:
        """A person in the group deleted a topic (as a counselor may by mistake)."""
        self.topics[chat_id][thread]["deleted"] = True

    def _thread(self, chat_id: int, params: JsonDict) -> int | None:
        thread = params.get("message_thread_id")
        if thread is None:
            return None
        if not isinstance(thread, int) or isinstance(thread, bool):
            raise _ApiError(400, "Bad Request: message_thread_id must be an integer")
        topic = self.topics.get(chat_id, {}).get(thread)
        if topic is None or topic["deleted"]:
            raise _ApiError(400, "Bad Request: message thread not found")
        if topic["closed"]:
            raise _ApiError(400, "Bad Request: TOPIC_CLOSED")
        return thread

    def _in_thread(self, message: JsonDict, thread: int | None, params: JsonDict) -> None:
        if thread is not None:
            message["message_thread_id"] = thread
            message["is_topic_message"] = True
            message["chat"] = {**message["chat"], "is_forum": True}
        if params.get("reply_to_message_id") is not None:
            message["reply_to_message_id"] = params["reply_to_message_id"]
        if params.get("entities") is not None:
            message["entities"] = params["entities"]
        self._in_topic.setdefault((message["chat"]["id"], thread), []).append(message)

    async def _create_forum_topic(self, params: JsonDict) -> JsonDict:
        chat_id = _chat_id(params)
        name = params.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 128:
            raise _ApiError(400, "Bad Request: invalid topic name")
        if chat_id > 0 or not str(chat_id).startswith("-100"):
            raise _ApiError(400, "Bad Request: the chat is not a forum")
        self._next_thread_id += 1
        thread = self._next_thread_id
        self.topics.setdefault(chat_id, {})[thread] = {"name": name, "closed": False,
                                                       "deleted": False}  # fmt: skip
        return {"message_thread_id": thread, "name": name, "icon_color": 7322096}

    def _topic(self, params: JsonDict) -> JsonDict:
        chat_id = _chat_id(params)
        thread = params.get("message_thread_id")
        topic = self.topics.get(chat_id, {}).get(thread) if isinstance(thread, int) else None
        if topic is None or topic["deleted"]:
            raise _ApiError(400, "Bad Request: TOPIC_ID_INVALID")
        return topic

    async def _delete_forum_topic(self, params: JsonDict) -> bool:
        self._topic(params)["deleted"] = True
        return True

    async def _close_forum_topic(self, params: JsonDict) -> bool:
        self._topic(params)["closed"] = True
        return True

    async def _reopen_forum_topic(self, params: JsonDict) -> bool:
        self._topic(params)["closed"] = False
        return True

    async def _send_file(self, params: JsonDict, kind: str) -> JsonDict:
        chat_id = _chat_id(params)
        ref = params.get(kind)
        if isinstance(ref, dict):  # uploaded as multipart
            ref = ref.get("filename") or "upload"
        if not isinstance(ref, str) or not ref:
            raise _ApiError(400, f"Bad Request: there is no {kind} in the request")
        thread = self._thread(chat_id, params)
        caption = params.get("caption")
        if isinstance(caption, str) and len(caption) > 1024:
            raise _ApiError(400, "Bad Request: message caption is too long")
        self._next_message_id += 1
        message = self._message(chat_id, self._next_message_id, None, params.get("reply_markup"))
        if kind == "photo":
            message["photo"] = [{"file_id": ref, "file_unique_id": f"u{ref[-12:]}", "width": 800,
                                 "height": 600}]  # fmt: skip
        else:
            message["document"] = {"file_id": ref, "file_unique_id": f"u{ref[-12:]}"}
        if isinstance(caption, str) and caption:
            message["caption"] = caption
        self._in_thread(message, thread, params)
        self._messages[(chat_id, self._next_message_id)] = message
        seen = f"[{kind}] {caption or ''}".rstrip()
        self._sent_texts.setdefault(chat_id, []).append(seen)
        self._delivered.setdefault(chat_id, []).append(seen)
        return copy.deepcopy(message)

    async def _send_photo(self, params: JsonDict) -> JsonDict:
        return await self._send_file(params, "photo")

    async def _send_document(self, params: JsonDict) -> JsonDict:
        return await self._send_file(params, "document")

    async def _edit_message_text(self, params: JsonDict) -> JsonDict | bool:
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _ApiError(400, "Bad Request: message text is empty")
        if "inline_message_id" in params:
            return True
        chat_id = _chat_id(params)
        message_id = _message_id(params)
        message = self._message(chat_id, message_id, text, params.get("reply_markup"))
        message["edit_date"] = message["date"]
        self._messages[(chat_id, message_id)] = message
        self._sent_texts.setdefault(chat_id, []).append(text)
        return copy.deepcopy(message)

    async def _edit_message_reply_markup(self, params: JsonDict) -> JsonDict | bool:
        if "inline_message_id" in params:
            return True
        chat_id = _chat_id(params)
        message_id = _message_id(params)
        previous = self._messages.get((chat_id, message_id), {})
        text = previous.get("text")
        message = self._message(
            chat_id, message_id, text if isinstance(text, str) else None, params.get("reply_markup")
        )
        message["edit_date"] = message["date"]
        self._messages[(chat_id, message_id)] = message
        return copy.deepcopy(message)

    def _message(
        self, chat_id: int, message_id: int, text: str | None, reply_markup: Any
    ) -> JsonDict:
        message: JsonDict = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "from": {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": BOT_FIRST_NAME,
                "username": self.bot_username,
            },
        }
        if text is not None:
            message["text"] = text
        # Telegram only ever echoes inline keyboards in the returned Message.
        if isinstance(reply_markup, dict) and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup
        return message


# ---------------------------------------------------------------------- request helpers


def _error_response(error: _ApiError) -> web.Response:
    body: JsonDict = {
        "ok": False,
        "error_code": error.error_code,
        "description": error.description,
    }
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return web.json_response(body, status=error.error_code)


async def _read_params(request: web.Request) -> JsonDict:
    params: JsonDict = {key: _decode_value(key, value) for key, value in request.query.items()}
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise _ApiError(400, "Bad Request: can't parse JSON body") from exc
        if not isinstance(body, dict):
            raise _ApiError(400, "Bad Request: JSON body must be an object")
        params.update({str(key): _decode_value(str(key), value) for key, value in body.items()})
        return params
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                params[key] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "size": len(content),
                }
            elif isinstance(value, bytes):
                params[key] = _decode_value(key, value.decode("utf-8", errors="replace"))
            else:
                params[key] = _decode_value(key, value)
    return params


def _decode_value(key: str, value: Any) -> Any:
    """JSON objects/arrays sent as strings become Python structures; id-like digits become ints."""
    if not isinstance(value, str):
        return value
    stripped = value.strip()
    if stripped[:1] in ("{", "["):
        try:
            decoded = json.loads(stripped)
        except ValueError:
            return value
        if isinstance(decoded, dict | list):
            return decoded
        return value
    if key in _INT_PARAMS and _INT_RE.fullmatch(stripped):
        return int(stripped)
    return value


def _int_param(params: JsonDict, key: str, default: int) -> int:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ApiError(400, f"Bad Request: {key} must be an integer")
    return value


def _chat_id(params: JsonDict) -> int:
    chat_id = params.get("chat_id")
    if chat_id is None:
        raise _ApiError(400, "Bad Request: chat_id is empty")
    if isinstance(chat_id, bool) or not isinstance(chat_id, int):
        raise _ApiError(400, "Bad Request: chat not found")
    return chat_id


def _message_id(params: JsonDict) -> int:
    message_id = params.get("message_id")
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        raise _ApiError(400, "Bad Request: message identifier is not specified")
    return message_id


def _chat(chat_id: int) -> JsonDict:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Test"}
    chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": chat_type, "title": "Test Group"}


# ---------------------------------------------------------------------- update builders

# Incoming message ids start high so they never collide with ids the server assigns.
_incoming_message_ids = itertools.count(100_001)
_callback_query_ids = itertools.count(1)

_DEFAULT_BOT_FROM: Final[JsonDict] = {
    "id": int(DEFAULT_TOKEN.split(":", 1)[0]),
    "is_bot": True,
    "first_name": BOT_FIRST_NAME,
    "username": DEFAULT_BOT_USERNAME,
}


def _user(chat_id: int, first_name: str) -> JsonDict:
    return {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": "id"}


def _incoming_message(chat_id: int, message_id: int | None, first_name: str) -> JsonDict:
    return {
        "message_id": next(_incoming_message_ids) if message_id is None else message_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": first_name},
        "from": _user(chat_id, first_name),
    }


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def text_update(
    chat_id: int, text: str, *, message_id: int | None = None, first_name: str = "Budi"
) -> dict[str, Any]:
    """A private-chat text message; a leading ``/command`` gets a ``bot_command`` entity."""
    message = _incoming_message(chat_id, message_id, first_name)
    message["text"] = text
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
    return {"message": message}


def callback_update(
    chat_id: int,
    data: str,
    *,
    message_id: int,
    message_text: str = "…",
    reply_markup: dict[str, Any] | None = None,
    first_name: str = "Budi",
) -> dict[str, Any]:
    """A callback query from pressing an inline button on the bot's message ``message_id``."""
    message: JsonDict = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": first_name},
        "from": dict(_DEFAULT_BOT_FROM),
        "text": message_text,
    }
    if reply_markup is not None:
        message["reply_markup"] = copy.deepcopy(reply_markup)
    return {
        "callback_query": {
            "id": str(next(_callback_query_ids)),
            "from": _user(chat_id, first_name),
            "chat_instance": f"ci-{chat_id}",
            "data": data,
            "message": message,
        }
    }


def sticker_update(
    chat_id: int, *, message_id: int | None = None, first_name: str = "Budi"
) -> dict[str, Any]:
    """A private-chat message carrying a regular static sticker."""
    message = _incoming_message(chat_id, message_id, first_name)
    message["sticker"] = {
        "file_id": "CAACAgIAAxkBAAIBQ2ZfakeStickerFileId",
        "file_unique_id": "AgADfakeSticker",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
        "file_size": 23_000,
    }
    return {"message": message}


def voice_update(
    chat_id: int, *, message_id: int | None = None, first_name: str = "Budi", duration: int = 3
) -> dict[str, Any]:
    """A private-chat voice note."""
    message = _incoming_message(chat_id, message_id, first_name)
    message["voice"] = {
        "file_id": "AwACAgUAAxkBAAIBRGZfakeVoiceFileId",
        "file_unique_id": "AgADfakeVoice",
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_size": 12_345,
    }
    return {"message": message}


def location_update(
    chat_id: int,
    *,
    latitude: float = -6.2088,
    longitude: float = 106.8456,
    message_id: int | None = None,
    first_name: str = "Budi",
) -> dict[str, Any]:
    """A private-chat location (defaults to Jakarta)."""
    message = _incoming_message(chat_id, message_id, first_name)
    message["location"] = {"latitude": latitude, "longitude": longitude}
    return {"message": message}


def photo_update(
    chat_id: int,
    caption: str | None = None,
    *,
    message_id: int | None = None,
    first_name: str = "Budi",
    file_id: str | None = None,
    file_size: int | None = None,
    media_group_id: str | None = None,
) -> dict[str, Any]:
    """A private-chat photo (three PhotoSize variants), optionally captioned. ``file_id`` and
    ``file_size`` replace those of the largest size (register its bytes with
    :meth:`FakeBotAPI.add_file`); ``media_group_id`` makes it part of an album."""
    message = _incoming_message(chat_id, message_id, first_name)
    message["photo"] = [
        {
            "file_id": f"AgACAgUAAxkBAAIBRWZfakePhoto{width}",
            "file_unique_id": f"AQADfakePhoto{width}",
            "width": width,
            "height": width * 3 // 4,
            "file_size": width * 40,
        }
        for width in (90, 320, 1280)
    ]
    largest = message["photo"][-1]
    if file_id is not None:
        largest["file_id"] = file_id
        largest["file_unique_id"] = f"AQADunique{file_id[-12:]}"
    if file_size is not None:
        largest["file_size"] = file_size
    if caption is not None:
        message["caption"] = caption
    if media_group_id is not None:
        message["media_group_id"] = media_group_id
    return {"message": message}


def _group_chat(chat_id: int, kind: str) -> JsonDict:
    if kind == "private":
        return {"id": chat_id, "type": "private", "first_name": "Budi"}
    return {"id": chat_id, "type": kind, "title": "Grup Test"}


def group_text_update(
    chat_id: int,
    user_id: int,
    text: str,
    *,
    kind: Literal["group", "supergroup"] = "group",
    first_name: str = "Budi",
    message_id: int | None = None,
) -> dict[str, Any]:
    """A text message of ``user_id`` in the group or supergroup ``chat_id`` (negative)."""
    message: JsonDict = {
        "message_id": next(_incoming_message_ids) if message_id is None else message_id,
        "date": int(time.time()),
        "chat": _group_chat(chat_id, kind),
        "from": _user(user_id, first_name),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
    return {"message": message}


def channel_post_update(
    chat_id: int, text: str, *, message_id: int | None = None
) -> dict[str, Any]:
    """A post in the channel ``chat_id`` (negative; channel posts have no ``from``)."""
    return {
        "channel_post": {
            "message_id": next(_incoming_message_ids) if message_id is None else message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "channel", "title": "Kanal Test"},
            "sender_chat": {"id": chat_id, "type": "channel", "title": "Kanal Test"},
            "text": text,
        }
    }


def bot_added_update(
    chat_id: int,
    by_user: int,
    *,
    kind: Literal["private", "group", "supergroup", "channel"] = "group",
    status: Literal["member", "left", "kicked"] = "member",
) -> dict[str, Any]:
    """``my_chat_member``: the bot's membership in ``chat_id`` changed (added by ``by_user``).
    (Telegram adds bots to channels as administrators; the administrator's rights fields
    change between Bot API versions, so the builder stays with plain membership.)"""
    bot = dict(_DEFAULT_BOT_FROM)
    new: JsonDict = {"status": status, "user": bot}
    if status == "kicked":
        new["until_date"] = 0
    return {
        "my_chat_member": {
            "chat": _group_chat(chat_id, kind),
            "from": _user(by_user, "Budi"),
            "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": bot},
            "new_chat_member": new,
        }
    }


def document_update(
    chat_id: int,
    *,
    file_id: str = "BQACAgUAAxkBAAIBfakeDocument",
    file_name: str = "bukti.jpg",
    mime_type: str = "image/jpeg",
    file_size: int | None = None,
    caption: str | None = None,
    media_group_id: str | None = None,
    message_id: int | None = None,
    first_name: str = "Budi",
) -> dict[str, Any]:
    """A private-chat file (an image sent "as a file" keeps its bytes and its metadata)."""
    message = _incoming_message(chat_id, message_id, first_name)
    document: JsonDict = {
        "file_id": file_id,
        "file_unique_id": f"AgADunique{file_id[-12:]}",
        "file_name": file_name,
        "mime_type": mime_type,
    }
    if file_size is not None:
        document["file_size"] = file_size
    message["document"] = document
    if caption is not None:
        message["caption"] = caption
    if media_group_id is not None:
        message["media_group_id"] = media_group_id
    return {"message": message}


def album_updates(
    chat_id: int,
    file_ids: list[str],
    *,
    media_group_id: str = "13579246801357924",
    caption: str | None = None,
    first_name: str = "Budi",
) -> list[dict[str, Any]]:
    """An album as Telegram delivers it: one photo message per picture, all sharing
    ``media_group_id``, the caption on the first only."""
    return [
        photo_update(
            chat_id,
            caption if i == 0 else None,
            file_id=file_id,
            media_group_id=media_group_id,
            first_name=first_name,
        )
        for i, file_id in enumerate(file_ids)
    ]


def forum_update(
    chat_id: int,
    user_id: int,
    text: str | None = None,
    *,
    thread: int | None = None,
    first_name: str = "Siti",
    photo: str | None = None,
    document: str | None = None,
    file_name: str = "cv.pdf",
    reply_to: dict[str, Any] | None = None,
    message_id: int | None = None,
) -> dict[str, Any]:
    """A message of ``user_id`` in the forum supergroup ``chat_id``: in the topic ``thread``
    (``None``: General), text or a photo / document (``text`` is then the caption);
    ``reply_to`` is the Message replied to (a dict as the server returned it)."""
    message: JsonDict = {
        "message_id": next(_incoming_message_ids) if message_id is None else message_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "supergroup", "title": "Konselor JKP", "is_forum": True},
        "from": _user(user_id, first_name),
    }
    if thread is not None:
        message["message_thread_id"] = thread
        message["is_topic_message"] = True
    if photo is not None:
        message["photo"] = [{"file_id": photo, "file_unique_id": f"u{photo[-10:]}", "width": 800,
                             "height": 600}]  # fmt: skip
    if document is not None:
        message["document"] = {"file_id": document, "file_unique_id": f"u{document[-10:]}",
                               "file_name": file_name}  # fmt: skip
    if text is not None:
        key = "caption" if (photo or document) else "text"
        message[key] = text
        if text.startswith("/") and key == "text":
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
    if reply_to is not None:
        message["reply_to_message"] = copy.deepcopy(reply_to)
    return {"message": message}


def forum_callback_update(
    chat_id: int, user_id: int, data: str, *, message: dict[str, Any], first_name: str = "Siti"
) -> dict[str, Any]:
    """``user_id`` pressed a button with ``data`` on the bot's ``message`` in the group."""
    return {
        "callback_query": {
            "id": str(next(_callback_query_ids)),
            "from": _user(user_id, first_name),
            "chat_instance": f"ci-{chat_id}",
            "data": data,
            "message": copy.deepcopy(message),
        }
    }
