"""A generic JSON format for local SMS/WhatsApp aggregators, behind the same interface as
Twilio's. The shape (also in the README):

Inbound, ``POST <SMS_WEBHOOK_PATH>``, ``Content-Type: application/json``, header
``X-Signature: sha256=<hex HMAC-SHA256 of the raw body under SMS_WEBHOOK_SECRET>``::

    {"id": "msg-8f2c", "channel": "sms", "from": "+6281234567890", "to": "+6281100000000",
     "text": "1", "media": [{"url": "https://...", "content_type": "image/jpeg"}],
     "payload": ""}

``id`` and ``from`` are required; ``channel`` is ``sms`` (default) or ``whatsapp``; the others
are optional. The answer is ``200 {"ok": true}``; 403 for a bad signature, 400 for a malformed
body (do not retry those), anything else may be retried with the same ``id``.

Outbound, ``POST <SMS_API_BASE>/messages``, ``Authorization: Bearer <SMS_API_TOKEN>``::

    {"channel": "sms", "from": "<SMS_FROM>", "to": "+6281234567890", "text": "..."}
    {"channel": "whatsapp", "from": "<WHATSAPP_FROM>", "to": "+62...",
     "template": {"id": "<template id>", "variables": {"1": "Budi"}}}

answered ``2xx {"id": "<the aggregator's message id>"}``, or an error: ``429`` (with
``Retry-After`` seconds), ``5xx`` (retried), or ``4xx {"error": {"code": ..., "message": ...}}``
where ``code`` ``unsubscribed``, ``invalid_number`` or ``unreachable`` stops sending to that
number and ``outside_window`` asks for a WhatsApp template.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import aiohttp

from bot.channels.sms.gateway import (
    GatewayError,
    InboundSms,
    Media,
    OutgoingSms,
    OutsideWindow,
    SmsChannel,
    WebhookRejected,
    WebhookReply,
    WebhookRequest,
    same_origin,
)
from bot.channels.sms.phone import PhoneError, normalise_phone
from bot.channels.sms.twilio_gateway import CONFIG_STATUSES, retry_seconds
from scheduler.outbox import RetryLater, Unreachable

SIGNATURE_HEADER = "X-Signature"
UNREACHABLE_ERRORS = frozenset({"unsubscribed", "invalid_number", "unreachable"})
OUTSIDE_WINDOW_ERROR = "outside_window"
MAX_ID = 128


def json_signature(secret: str, body: bytes) -> str:
    """The ``X-Signature`` header value for ``body``: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def valid_json_signature(secret: str, body: bytes, signature: str) -> bool:
    if not secret or not signature:
        return False
    expected = json_signature(secret, body).encode("ascii")
    return hmac.compare_digest(expected, signature.strip().encode("ascii", errors="replace"))


def _str(data: dict[str, Any], name: str, required: bool = False) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise WebhookRejected(400, f"{name} must be a string")
    if required and not value:
        raise WebhookRejected(400, f"{name} is missing")
    return value


def parse_json_message(data: Any) -> InboundSms:
    """An :class:`InboundSms` from the decoded JSON body; :class:`WebhookRejected` (400)."""
    if not isinstance(data, dict):
        raise WebhookRejected(400, "the body must be a JSON object")
    message_id = _str(data, "id", required=True)
    if len(message_id) > MAX_ID:
        raise WebhookRejected(400, "id is too long")
    try:
        channel = SmsChannel(_str(data, "channel") or SmsChannel.SMS.value)
    except ValueError:
        raise WebhookRejected(400, "channel must be sms or whatsapp") from None
    try:
        sender = normalise_phone(_str(data, "from", required=True), mobile_only=False)
    except PhoneError as e:
        raise WebhookRejected(400, f"from is not a phone number ({e.problem})") from None
    media_items = data.get("media") or []
    if not isinstance(media_items, list) or not all(
        isinstance(m, dict) and isinstance(m.get("url"), str) for m in media_items
    ):
        raise WebhookRejected(400, 'media must be a list of {"url", "content_type"}')
    media = tuple(Media(m["url"], str(m.get("content_type") or "")) for m in media_items)
    return InboundSms(
        channel=channel,
        sender=sender,
        text=_str(data, "text"),
        message_id=message_id,
        recipient=_str(data, "to"),
        media=media,
        payload=_str(data, "payload"),
    )


def json_error(status: int, body: str, retry_after: str | None = None) -> Exception:
    """The outbox sender's exception for a failed ``/messages`` call."""
    code, message = "", body[:200]
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        code = str(data["error"].get("code") or "")
        message = str(data["error"].get("message") or message)
    label = f"aggregator {status}" + (f"/{code}" if code else "") + f": {message}"
    if status == 429:
        return RetryLater(retry_seconds(retry_after))
    if status >= 500:
        return GatewayError(label, permanent=False, status=status, code=code)
    if code in UNREACHABLE_ERRORS:
        return Unreachable(label)
    if code == OUTSIDE_WINDOW_ERROR:
        return OutsideWindow(label, status=status, code=code)
    return GatewayError(label, permanent=status not in CONFIG_STATUSES, status=status, code=code)


class JsonGateway:
    """The generic JSON format (see the module docstring)."""

    provider = "json"

    def __init__(
        self,
        api_base: str,
        api_token: str,
        webhook_secret: str,
        *,
        sms_from: str = "",
        whatsapp_from: str = "",
        session: aiohttp.ClientSession | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.api_token = api_token
        self.webhook_secret = webhook_secret
        self.sms_from = sms_from
        self.whatsapp_from = whatsapp_from
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._own_session = session is None

    def parse(self, request: WebhookRequest) -> InboundSms | None:
        content_type = request.header("Content-Type").split(";", 1)[0].strip().lower()
        if content_type != "application/json":
            raise WebhookRejected(415, "expected application/json")
        if not valid_json_signature(
            self.webhook_secret, request.body, request.header(SIGNATURE_HEADER)
        ):
            raise WebhookRejected(403, f"bad {SIGNATURE_HEADER}")
        try:
            data = json.loads(request.body)
        except ValueError:
            raise WebhookRejected(400, "the body is not JSON") from None
        return parse_json_message(data)

    def acknowledge(self) -> WebhookReply:
        return WebhookReply(200, '{"ok": true}', "application/json")

    def payload(self, message: OutgoingSms) -> dict[str, Any]:
        """The JSON body of a ``/messages`` call for ``message``."""
        sender = self.whatsapp_from if message.channel is SmsChannel.WHATSAPP else self.sms_from
        body: dict[str, Any] = {"channel": message.channel.value, "to": message.to}
        if sender:
            body["from"] = sender
        if message.template is not None:
            body["template"] = {
                "id": message.template.sid,
                "variables": dict(message.template.variables),
            }
        else:
            body["text"] = message.text
        return body

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
            self._own_session = True
        return self._session

    async def send(self, message: OutgoingSms) -> str:
        headers = {"Authorization": f"Bearer {self.api_token}"}
        try:
            async with self._client().post(
                f"{self.api_base}/messages",
                json=self.payload(message),
                headers=headers,
                timeout=self.timeout,
            ) as response:
                body = await response.text()
                if response.status >= 400:
                    raise json_error(response.status, body, response.headers.get("Retry-After"))
        except (TimeoutError, aiohttp.ClientError) as e:
            raise GatewayError(f"aggregator unreachable: {e!r}", permanent=False) from e
        try:
            message_id = json.loads(body).get("id")
        except (ValueError, AttributeError):
            message_id = None
        if not isinstance(message_id, str) or not message_id:
            raise GatewayError("aggregator answered without an id", permanent=False)
        return message_id

    def media_client(self, url: str) -> tuple[aiohttp.ClientSession, dict[str, str]]:
        headers = {}
        if same_origin(url, self.api_base):
            headers["Authorization"] = f"Bearer {self.api_token}"
        return self._client(), headers

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None
