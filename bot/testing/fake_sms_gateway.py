"""A fake SMS/WhatsApp gateway for tests, and helpers that post signed inbound webhooks.

:class:`FakeSmsGateway` is an aiohttp server on ``127.0.0.1`` speaking enough of Twilio's
REST API (``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, basic auth) and of the
generic JSON format (``POST /messages``, bearer token) for the real gateways — or the bot
process, via ``SMS_API_BASE`` — to make real HTTP round trips. It records every request,
answers as the provider does (201 and a message resource, or an error body with its code),
and can be told to fail: :meth:`~FakeSmsGateway.fail_next` (one call),
:meth:`~FakeSmsGateway.unsubscribe` (every later message to a number, as after STOP),
:meth:`~FakeSmsGateway.stall_next` (no answer until the client gives up).

Usage::

    async with FakeSmsGateway() as fake:
        gateway = TwilioGateway(fake.account_sid, fake.auth_token, sms_from=fake.number,
                                api_base=fake.base_url)
        await gateway.send(OutgoingSms(SmsChannel.SMS, "+6281234567890", text="Halo"))
        assert fake.texts_to("+6281234567890") == ["Halo"]
        fake.fail_next(429, 20429, "Too Many Requests", retry_after=3)

        # a person texts the bot (signed as Twilio signs it)
        status, body = await fake.post_inbound(webhook_url, "+6281234567890", "menu")
        status, body = await fake.post_inbound(webhook_url, "+6281234567890", "",
                                               whatsapp=True,
                                               media=[("https://.../photo.jpg", "image/jpeg")])
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final

import aiohttp
from aiohttp import web

from bot.channels.sms.gateway import SmsChannel
from bot.channels.sms.json_gateway import SIGNATURE_HEADER as JSON_SIGNATURE_HEADER
from bot.channels.sms.json_gateway import json_signature
from bot.channels.sms.phone import is_e164
from bot.channels.sms.text import segment_count
from bot.channels.sms.twilio_gateway import (
    SIGNATURE_HEADER,
    WHATSAPP_PREFIX,
    basic_auth,
    twilio_signature,
)

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_API_TOKEN",
    "DEFAULT_AUTH_TOKEN",
    "DEFAULT_NUMBER",
    "DEFAULT_WEBHOOK_SECRET",
    "DEFAULT_WHATSAPP_NUMBER",
    "FakeSmsGateway",
    "RecordedRequest",
    "SentMessage",
    "json_inbound_body",
    "post_json_inbound",
    "post_twilio_inbound",
    "twilio_inbound_params",
]

DEFAULT_ACCOUNT_SID: Final = "AC" + "0123456789abcdef" * 2
DEFAULT_AUTH_TOKEN: Final = "fake-twilio-auth-token-0123456789"
DEFAULT_API_TOKEN: Final = "fake-aggregator-api-token"
DEFAULT_WEBHOOK_SECRET: Final = "fake-aggregator-webhook-secret"
DEFAULT_NUMBER: Final = "+6281100000001"  # the bot's SMS number
DEFAULT_WHATSAPP_NUMBER: Final = "+6281100000002"  # the bot's WhatsApp number
MAX_BODY: Final = 1600  # Twilio refuses longer bodies (21617)

_ids = itertools.count(1)


def _sid(prefix: str) -> str:
    return f"{prefix}{next(_ids):032x}"


@dataclass(frozen=True)
class RecordedRequest:
    """Any request the fake received: which API, the path, and its decoded parameters."""

    api: str  # "twilio" or "json"
    path: str
    params: dict[str, Any]
    authorised: bool


@dataclass(frozen=True)
class SentMessage:
    """A message the fake accepted."""

    id: str  # Twilio: SM...; json: msg-...
    api: str
    channel: SmsChannel
    to: str  # E.164, without "whatsapp:"
    sender: str  # From or MessagingServiceSid, without "whatsapp:"
    body: str
    content_sid: str = ""
    content_variables: dict[str, str] = field(default_factory=dict)

    @property
    def segments(self) -> int:
        return segment_count(self.body) if self.body else 1


@dataclass(frozen=True)
class _Failure:
    status: int
    code: int | str | None
    message: str
    retry_after: int | None
    to: str | None  # only for messages to this number; None: the next message


class FakeSmsGateway:
    """Twilio's Messages API and the generic JSON API on 127.0.0.1, recording everything."""

    def __init__(
        self,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        api_token: str = DEFAULT_API_TOKEN,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        number: str = DEFAULT_NUMBER,
        whatsapp_number: str = DEFAULT_WHATSAPP_NUMBER,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.api_token = api_token
        self.webhook_secret = webhook_secret
        self.number = number
        self.whatsapp_number = whatsapp_number
        self.requests: list[RecordedRequest] = []
        self.sent: list[SentMessage] = []
        self.unsubscribed: set[str] = set()
        self._failures: list[_Failure] = []
        self.media: dict[str, tuple[bytes, str]] = {}  # media id → (bytes, content type)
        self.media_redirects: dict[str, str] = {}  # media id → where it redirects (a CDN)
        self.media_downloads: list[tuple[str, bool]] = []  # (media id, authorised)
        self._stalls = 0
        self._stall_release = asyncio.Event()
        self._sent_event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._session: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self, port: int = 0) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeSmsGateway is already running")
        self._stall_release = asyncio.Event()
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", self._twilio_create)
        app.router.add_post("/messages", self._json_create)
        app.router.add_get("/2010-04-01/Accounts/{account}/Messages/{message}/Media/{media}",
                           self._media)  # fmt: skip
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving (stalled calls are released first). Safe to call twice."""
        self._stall_release.set()
        if self._session is not None:
            await self._session.close()
            self._session = None
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeSmsGateway:
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
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: the ``api_base`` / ``SMS_API_BASE`` to use."""
        if self._port is None or self._runner is None:
            raise RuntimeError("FakeSmsGateway is not running; call start() first")
        return f"http://127.0.0.1:{self._port}"

    # ------------------------------------------------------------------ test API
    def fail_next(
        self,
        status: int,
        code: int | str | None = None,
        message: str = "injected failure",
        *,
        retry_after: int | None = None,
        to: str | None = None,
    ) -> None:
        """Make the next create call (or the next one to ``to``) answer ``status`` with the
        provider's error body: Twilio ``{"code", "message", ...}``, JSON ``{"error": {...}}``.
        E.g. ``fail_next(429, 20429, retry_after=2)``, ``fail_next(503)``,
        ``fail_next(400, 21610, "Attempt to send to unsubscribed recipient")``,
        ``fail_next(400, "invalid_number")``. Queued failures are used up in order."""
        self._failures.append(_Failure(status, code, message, retry_after, to))

    def unsubscribe(self, number: str) -> None:
        """Every later message to ``number`` fails as after the person texted STOP
        (Twilio 21610, JSON ``unsubscribed``)."""
        self.unsubscribed.add(number)

    def add_media(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """Host an attachment as Twilio hosts an inbound photo (basic auth, as with "HTTP
        basic authentication for media" on); returns its URL for ``post_inbound(media=...)``."""
        media_id = _sid("ME")
        self.media[media_id] = (data, content_type)
        return (f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages/"
                f"{_sid('MM')}/Media/{media_id}")  # fmt: skip

    def add_media_redirect(self, location: str) -> str:
        """An attachment URL that answers 302 to ``location`` once authorised (Twilio sends
        media from a CDN); returns the URL."""
        media_id = _sid("ME")
        self.media_redirects[media_id] = location
        return (f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages/"
                f"{_sid('MM')}/Media/{media_id}")  # fmt: skip

    def stall_next(self) -> None:
        """The next create call gets no answer until :meth:`stop` (a client timeout)."""
        self._stalls += 1

    def texts_to(self, number: str, channel: SmsChannel | None = None) -> list[str]:
        """Bodies accepted for ``number`` (E.164), in order."""
        return [
            m.body
            for m in self.sent
            if m.to == number and (channel is None or m.channel is channel)
        ]

    async def wait_for(
        self,
        count: int = 1,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - part of the documented test API
    ) -> list[SentMessage]:
        """Wait until ``count`` accepted messages match ``predicate``; returns them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [m for m in self.sent if predicate is None or predicate(m)]
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"{len(found)} of {count} messages after {timeout}s; sent: {self.sent!r}"
                )
            self._sent_event.clear()
            try:
                await asyncio.wait_for(self._sent_event.wait(), remaining)
            except TimeoutError:
                continue

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def post_inbound(
        self,
        url: str,
        sender: str,
        body: str = "",
        *,
        whatsapp: bool = False,
        media: Sequence[tuple[str, str]] = (),
        message_sid: str | None = None,
        button_payload: str = "",
        signature: str | None = None,
    ) -> tuple[int, str]:
        """Post a Twilio incoming-message webhook to ``url``, signed with this fake's
        Auth Token (or with ``signature`` as given); returns (status, body)."""
        params = twilio_inbound_params(
            sender,
            self.whatsapp_number if whatsapp else self.number,
            body,
            whatsapp=whatsapp,
            media=media,
            message_sid=message_sid,
            account_sid=self.account_sid,
            button_payload=button_payload,
        )
        return await post_twilio_inbound(
            url, self.auth_token, params, session=self._client(), signature=signature
        )

    async def post_json_inbound(
        self,
        url: str,
        sender: str,
        text: str = "",
        *,
        whatsapp: bool = False,
        media: Sequence[tuple[str, str]] = (),
        message_id: str | None = None,
        signature: str | None = None,
    ) -> tuple[int, str]:
        """Post a generic-JSON inbound message to ``url``, signed with this fake's secret."""
        body = json_inbound_body(
            sender, text, to=self.whatsapp_number if whatsapp else self.number,
            whatsapp=whatsapp, media=media, message_id=message_id,
        )  # fmt: skip
        return await post_json_inbound(
            url, self.webhook_secret, body, session=self._client(), signature=signature
        )

    # ------------------------------------------------------------------ handlers
    def _take_failure(self, to: str) -> _Failure | None:
        for i, failure in enumerate(self._failures):
            if failure.to in (None, to):
                return self._failures.pop(i)
        return None

    async def _stall(self) -> bool:
        if not self._stalls:
            return False
        self._stalls -= 1
        await self._stall_release.wait()
        return True

    def _accept(self, message: SentMessage) -> None:
        self.sent.append(message)
        self._sent_event.set()

    async def _twilio_create(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        params = {k: str(v) for k, v in form.items()}
        auth = request.headers.get("Authorization", "")
        expected = basic_auth(self.account_sid, self.auth_token)
        authorised = (
            secrets.compare_digest(auth, expected)
            and request.match_info["account"] == self.account_sid
        )
        self.requests.append(RecordedRequest("twilio", request.path, params, authorised))
        if not authorised:
            return _twilio_error(401, 20003, "Authenticate")
        if await self._stall():
            return _twilio_error(504, None, "stalled")
        raw_to = params.get("To", "")
        channel = SmsChannel.WHATSAPP if raw_to.startswith(WHATSAPP_PREFIX) else SmsChannel.SMS
        to = raw_to.removeprefix(WHATSAPP_PREFIX)
        sender = params.get("From", "").removeprefix(WHATSAPP_PREFIX) or params.get(
            "MessagingServiceSid", ""
        )
        body = params.get("Body", "")
        failure = self._take_failure(to)
        if failure is not None:
            return _twilio_error(failure.status, failure.code, failure.message, failure.retry_after)
        if not raw_to:
            return _twilio_error(400, 21604, "A 'To' phone number is required.")
        if not is_e164(to):
            return _twilio_error(400, 21211, f"The 'To' number {raw_to} is not valid.")
        if not sender:
            return _twilio_error(400, 21603, "A 'From' phone number is required.")
        if not body and not params.get("ContentSid"):
            return _twilio_error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            return _twilio_error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if to in self.unsubscribed:
            return _twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")
        variables = json.loads(params["ContentVariables"]) if "ContentVariables" in params else {}
        message = SentMessage(
            _sid("SM"), "twilio", channel, to, sender, body,
            params.get("ContentSid", ""), {str(k): str(v) for k, v in variables.items()},
        )  # fmt: skip
        self._accept(message)
        resource = {
            "sid": message.id,
            "account_sid": self.account_sid,
            "to": raw_to,
            "from": params.get("From"),
            "messaging_service_sid": params.get("MessagingServiceSid"),
            "body": body,
            "status": "queued",
            "num_segments": str(message.segments),
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{message.id}.json",
        }
        return web.json_response(resource, status=201)

    async def _media(self, request: web.Request) -> web.StreamResponse:
        media_id = request.match_info["media"]
        auth = request.headers.get("Authorization", "")
        authorised = secrets.compare_digest(
            auth, basic_auth(self.account_sid, self.auth_token)
        ) or secrets.compare_digest(auth, f"Bearer {self.api_token}")
        self.media_downloads.append((media_id, authorised))
        if not authorised:
            return _twilio_error(401, 20003, "Authenticate")
        if media_id in self.media_redirects:
            raise web.HTTPFound(self.media_redirects[media_id])
        if media_id not in self.media:
            return _twilio_error(404, 20404, "The requested resource was not found")
        data, content_type = self.media[media_id]
        return web.Response(body=data, content_type=content_type)

    async def _json_create(self, request: web.Request) -> web.StreamResponse:
        try:
            data = await request.json()
        except ValueError:
            data = None
        params = data if isinstance(data, dict) else {}
        authorised = secrets.compare_digest(
            request.headers.get("Authorization", ""), f"Bearer {self.api_token}"
        )
        self.requests.append(RecordedRequest("json", request.path, params, authorised))
        if not authorised:
            return _json_error(401, "unauthorised", "bad token")
        if await self._stall():
            return _json_error(504, "stalled", "stalled")
        if not isinstance(data, dict):
            return _json_error(400, "bad_request", "the body must be a JSON object")
        to = str(params.get("to") or "")
        failure = self._take_failure(to)
        if failure is not None:
            return _json_error(
                failure.status, str(failure.code or "error"), failure.message,
                failure.retry_after,
            )  # fmt: skip
        try:
            channel = SmsChannel(str(params.get("channel") or "sms"))
        except ValueError:
            return _json_error(400, "bad_request", "channel must be sms or whatsapp")
        if not is_e164(to):
            return _json_error(400, "invalid_number", f"{to!r} is not an E.164 number")
        template = params.get("template")
        text = params.get("text")
        if not (isinstance(text, str) and text) and not isinstance(template, dict):
            return _json_error(400, "bad_request", "text or template is required")
        if to in self.unsubscribed:
            return _json_error(400, "unsubscribed", "the recipient opted out")
        template = template if isinstance(template, dict) else {}
        variables = template.get("variables") or {}
        message = SentMessage(
            f"msg-{next(_ids)}", "json", channel, to, str(params.get("from") or ""),
            text if isinstance(text, str) else "", str(template.get("id") or ""),
            {str(k): str(v) for k, v in variables.items()},
        )  # fmt: skip
        self._accept(message)
        return web.json_response({"id": message.id, "status": "queued"}, status=201)


def _twilio_error(
    status: int, code: int | str | None, message: str, retry_after: int | None = None
) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message, "status": status}
    if code is not None:
        body["more_info"] = f"https://www.twilio.com/docs/errors/{code}"
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return web.json_response(body, status=status, headers=headers)


def _json_error(
    status: int, code: str, message: str, retry_after: int | None = None
) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers
    )


# ---------------------------------------------------------------------- inbound webhooks
def twilio_inbound_params(
    sender: str,
    to: str | None = None,
    body: str = "",
    *,
    whatsapp: bool = False,
    media: Sequence[tuple[str, str]] = (),
    message_sid: str | None = None,
    account_sid: str = DEFAULT_ACCOUNT_SID,
    button_payload: str = "",
) -> dict[str, str]:
    """The form parameters of Twilio's incoming-message webhook (the usual ones: Twilio adds
    more over time, and the signature covers whatever is sent). ``media`` as (url, type);
    ``to`` is the bot's SMS or WhatsApp number by default."""
    if to is None:
        to = DEFAULT_WHATSAPP_NUMBER if whatsapp else DEFAULT_NUMBER
    sid = message_sid or _sid("MM" if media else "SM")
    prefix = WHATSAPP_PREFIX if whatsapp else ""
    params = {
        "AccountSid": account_sid,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": prefix + sender,
        "FromCountry": "ID",
        "MessageSid": sid,
        "NumMedia": str(len(media)),
        "NumSegments": "1",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": prefix + to,
        "ToCountry": "ID",
    }
    for i, (url, content_type) in enumerate(media):
        params[f"MediaUrl{i}"] = url
        params[f"MediaContentType{i}"] = content_type
    if whatsapp:
        params["WaId"] = sender.lstrip("+")
        params["ProfileName"] = "Budi"
        params["MessageType"] = "image" if media else ("button" if button_payload else "text")
    if button_payload:
        params["ButtonPayload"] = button_payload
        params["ButtonText"] = body
    return params


async def post_twilio_inbound(
    url: str,
    auth_token: str,
    params: dict[str, str],
    *,
    session: aiohttp.ClientSession | None = None,
    signature: str | None = None,
) -> tuple[int, str]:
    """POST ``params`` form-encoded to ``url`` with ``X-Twilio-Signature`` computed as
    Twilio does (or ``signature`` as given, to test a forgery); returns (status, body)."""
    headers = {SIGNATURE_HEADER: signature or twilio_signature(auth_token, url, params.items())}
    return await _post(url, session, data=params, headers=headers)


def json_inbound_body(
    sender: str,
    text: str = "",
    *,
    to: str = DEFAULT_NUMBER,
    whatsapp: bool = False,
    media: Sequence[tuple[str, str]] = (),
    message_id: str | None = None,
) -> dict[str, Any]:
    """A generic-JSON inbound message (the shape in bot/channels/sms/json_gateway.py)."""
    return {
        "id": message_id or f"in-{next(_ids)}",
        "channel": "whatsapp" if whatsapp else "sms",
        "from": sender,
        "to": to,
        "text": text,
        "media": [{"url": u, "content_type": t} for u, t in media],
    }


async def post_json_inbound(
    url: str,
    secret: str,
    body: dict[str, Any],
    *,
    session: aiohttp.ClientSession | None = None,
    signature: str | None = None,
) -> tuple[int, str]:
    raw = json.dumps(body).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        JSON_SIGNATURE_HEADER: signature or json_signature(secret, raw),
    }
    return await _post(url, session, data=raw, headers=headers)


async def _post(
    url: str, session: aiohttp.ClientSession | None, *, data: Any, headers: dict[str, str]
) -> tuple[int, str]:
    own = session is None
    client = aiohttp.ClientSession() if session is None else session
    try:
        async with client.post(url, data=data, headers=headers) as response:
            return response.status, await response.text()
    finally:
        if own:
            await client.close()
