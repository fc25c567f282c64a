"""Twilio's format: the incoming-message webhook (form-encoded, signed with
``X-Twilio-Signature``) and the Messages REST API, for SMS and WhatsApp.

The signature is computed as Twilio documents it: the full URL Twilio requested (query string
included), then each POST parameter's name and value appended in order of name (Unix byte
order), HMAC-SHA1 under the account's Auth Token, base64. As in Twilio's own validator the URL
is tried with and without its default port (Twilio is inconsistent about it), and digests are
compared in constant time.

Replies go through the REST API, ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``
(``To``, ``From`` or ``MessagingServiceSid``, ``Body``; WhatsApp templates as ``ContentSid`` +
``ContentVariables``), with HTTP basic auth — not TwiML, so that the outbox sender's rate limit,
retries and ordering apply.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit, urlunsplit

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
from scheduler.outbox import RetryLater, Unreachable

log = logging.getLogger(__name__)

TWILIO_API_BASE = "https://api.twilio.com"
SIGNATURE_HEADER = "X-Twilio-Signature"
WHATSAPP_PREFIX = "whatsapp:"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
DEFAULT_RETRY_SECONDS = 5.0
MAX_MEDIA = 10  # Twilio sends at most 10 MediaUrl{i}

# Errors at message creation that mean "this number cannot be reached": stop sending to it.
UNREACHABLE_CODES = frozenset(
    {
        21211,  # invalid 'To' phone number
        21214,  # 'To' phone number cannot be reached
        21217,  # phone number does not appear to be valid
        21610,  # attempt to send to an unsubscribed recipient (the person texted STOP)
        21612,  # the 'To' number is not currently reachable via SMS
        21614,  # 'To' number is not a valid mobile number
        63003,  # WhatsApp: channel could not find the To address
    }
)
OUTSIDE_WINDOW_CODES = frozenset({63016})  # WhatsApp free text outside the 24-hour window
# Wrong credentials or account: an operator can fix it, so the message is kept for a retry.
CONFIG_STATUSES = frozenset({401, 403, 404})

Params = Iterable[tuple[str, str]]


def basic_auth(user: str, password: str) -> str:
    """An ``Authorization`` header value for HTTP basic auth (RFC 7617, UTF-8)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


# -- signature ----------------------------------------------------------------------------
def twilio_signature(auth_token: str, url: str, params: Params) -> str:
    """The ``X-Twilio-Signature`` Twilio sends for a POST of ``params`` to ``url``."""
    grouped: dict[str, set[str]] = {}
    for name, value in params:
        grouped.setdefault(name, set()).add(value)
    data = url + "".join(
        name + value for name in sorted(grouped) for value in sorted(grouped[name])
    )
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _port_variants(url: str) -> list[str]:
    """``url`` as given, without its port and with the scheme's default port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.username or ":" in host:  # credentials or IPv6: leave as given
        return [url]
    default = 443 if parts.scheme == "https" else 80
    without = urlunsplit(parts._replace(netloc=host))
    with_port = urlunsplit(parts._replace(netloc=f"{host}:{parts.port or default}"))
    return list(dict.fromkeys([url, without, with_port]))


def valid_twilio_signature(auth_token: str, url: str, params: Params, signature: str) -> bool:
    """Whether ``signature`` is Twilio's for this request (constant-time comparison)."""
    if not signature or not auth_token:
        return False
    pairs = list(params)
    given = signature.strip().encode("ascii", errors="replace")
    ok = False
    for candidate in _port_variants(url):
        expected = twilio_signature(auth_token, candidate, pairs).encode("ascii")
        ok |= hmac.compare_digest(expected, given)
    return ok


def signing_url(request_url: str, public_url: str = "") -> str:
    """The URL Twilio signed: ``public_url`` (where Twilio was told to post, when the bot
    sits behind a proxy) with the query string the request arrived with, else the request's
    own URL."""
    if not public_url:
        return request_url
    query = urlsplit(request_url).query
    public = urlsplit(public_url)
    return urlunsplit(public._replace(query=query or public.query))


# -- webhook → InboundSms -----------------------------------------------------------------
def _address(raw: str) -> tuple[SmsChannel, str]:
    if raw.startswith(WHATSAPP_PREFIX):
        return SmsChannel.WHATSAPP, raw.removeprefix(WHATSAPP_PREFIX)
    return SmsChannel.SMS, raw


def parse_twilio_params(params: Mapping[str, str]) -> InboundSms | None:
    """An incoming message from Twilio's webhook parameters; None for a delivery status
    callback (``MessageStatus`` without a message). Raises :class:`WebhookRejected` (400)."""
    if "MessageStatus" in params and "Body" not in params and "NumMedia" not in params:
        return None
    sid = params.get("MessageSid") or params.get("SmsMessageSid") or ""
    if not sid:
        raise WebhookRejected(400, "MessageSid is missing")
    channel, sender_raw = _address(params.get("From", ""))
    try:
        sender = normalise_phone(sender_raw, mobile_only=False)
    except PhoneError as e:
        raise WebhookRejected(400, f"From is not a phone number ({e.problem})") from None
    try:
        count = int(params.get("NumMedia") or 0)
    except ValueError:
        raise WebhookRejected(400, "NumMedia is not a number") from None
    media = tuple(
        Media(params[f"MediaUrl{i}"], params.get(f"MediaContentType{i}", ""))
        for i in range(min(max(count, 0), MAX_MEDIA))
        if params.get(f"MediaUrl{i}")
    )
    return InboundSms(
        channel=channel,
        sender=sender,
        text=params.get("Body", ""),
        message_id=sid,
        recipient=_address(params.get("To", ""))[1],
        media=media,
        payload=params.get("ButtonPayload", ""),
    )


# -- REST errors → the outbox sender's exceptions -------------------------------------------
def retry_seconds(retry_after: str | None) -> float:
    """Seconds from a ``Retry-After`` header; :data:`DEFAULT_RETRY_SECONDS` when absent or
    given as a date."""
    try:
        return max(1.0, float(retry_after or ""))
    except ValueError:
        return DEFAULT_RETRY_SECONDS


def twilio_error(status: int, body: str, retry_after: str | None = None) -> Exception:
    """The exception for a failed Messages.json call, as the outbox sender understands it:
    :class:`RetryLater` for 429, :class:`Unreachable` for a number that cannot be reached,
    :class:`OutsideWindow` for WhatsApp's closed window, :class:`GatewayError` otherwise
    (5xx and a wrong credential may pass, other 4xx will not)."""
    code: int | None = None
    message = body[:200]
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        raw_code = data.get("code")
        code = raw_code if isinstance(raw_code, int) else None
        message = str(data.get("message") or message)
    label = f"twilio {status}" + (f"/{code}" if code else "") + f": {message}"
    if status == 429 or code == 20429:
        return RetryLater(retry_seconds(retry_after))
    if status >= 500:
        return GatewayError(label, permanent=False, status=status, code=str(code or ""))
    if code in UNREACHABLE_CODES:
        return Unreachable(label)
    if code in OUTSIDE_WINDOW_CODES:
        return OutsideWindow(label, status=status, code=str(code))
    permanent = status not in CONFIG_STATUSES
    return GatewayError(label, permanent=permanent, status=status, code=str(code or ""))


# -- the gateway ----------------------------------------------------------------------------
class TwilioGateway:
    """Twilio (or anything speaking its API at ``api_base``) for SMS and WhatsApp."""

    provider = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        sms_from: str = "",
        whatsapp_from: str = "",
        api_base: str = TWILIO_API_BASE,
        public_url: str = "",
        session: aiohttp.ClientSession | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sms_from = sms_from
        self.whatsapp_from = whatsapp_from
        self.api_base = api_base.rstrip("/")
        self.public_url = public_url
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._own_session = session is None

    # inbound
    def parse(self, request: WebhookRequest) -> InboundSms | None:
        content_type = request.header("Content-Type").split(";", 1)[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise WebhookRejected(415, "expected application/x-www-form-urlencoded")
        try:
            pairs = parse_qsl(
                request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False
            )
        except UnicodeDecodeError:
            raise WebhookRejected(400, "body is not UTF-8") from None
        url = signing_url(request.url, self.public_url)
        if not valid_twilio_signature(
            self.auth_token, url, pairs, request.header(SIGNATURE_HEADER)
        ):
            raise WebhookRejected(403, "bad X-Twilio-Signature")
        if any(name == "AccountSid" and value != self.account_sid for name, value in pairs):
            raise WebhookRejected(403, "AccountSid is not ours")
        return parse_twilio_params(dict(pairs))

    def acknowledge(self) -> WebhookReply:
        # Empty TwiML: no reply by TwiML, replies go through the outbox.
        return WebhookReply(200, EMPTY_TWIML, "text/xml")

    # outbound
    def form(self, message: OutgoingSms) -> dict[str, str]:
        """The form fields of a Messages.json create call for ``message``."""
        if message.channel is SmsChannel.WHATSAPP:
            sender, to = self.whatsapp_from, WHATSAPP_PREFIX + message.to
        else:
            sender, to = self.sms_from, message.to
        if not sender:
            raise GatewayError(f"no sender configured for {message.channel}", permanent=True)
        fields = {"To": to}
        if sender.startswith("MG"):  # a Messaging Service picks the number itself
            fields["MessagingServiceSid"] = sender
        elif message.channel is SmsChannel.WHATSAPP:
            fields["From"] = WHATSAPP_PREFIX + sender
        else:
            fields["From"] = sender
        if message.template is not None:
            fields["ContentSid"] = message.template.sid
            if message.template.variables:
                fields["ContentVariables"] = json.dumps(
                    dict(message.template.variables), ensure_ascii=False
                )
        else:
            fields["Body"] = message.text
        return fields

    @property
    def messages_url(self) -> str:
        return f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
            self._own_session = True
        return self._session

    async def send(self, message: OutgoingSms) -> str:
        data = self.form(message)
        headers = {"Authorization": basic_auth(self.account_sid, self.auth_token)}
        try:
            async with self._client().post(
                self.messages_url, data=data, headers=headers, timeout=self.timeout
            ) as response:
                body = await response.text()
                if response.status >= 400:
                    raise twilio_error(response.status, body, response.headers.get("Retry-After"))
        except (TimeoutError, aiohttp.ClientError) as e:
            raise GatewayError(f"twilio unreachable: {e!r}", permanent=False) from e
        try:
            sid = json.loads(body).get("sid")
        except (ValueError, AttributeError):
            sid = None
        if not isinstance(sid, str):
            raise GatewayError("twilio answered without a sid", permanent=False)
        return sid

    def media_client(self, url: str) -> tuple[aiohttp.ClientSession, dict[str, str]]:
        # Twilio's media URLs (/Accounts/AC.../Messages/MM.../Media/ME...) take the same
        # basic auth as the API when "HTTP basic authentication for media" is on.
        headers = {}
        if same_origin(url, self.api_base):
            headers["Authorization"] = basic_auth(self.account_sid, self.auth_token)
        return self._client(), headers

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None


__all__ = [
    "SIGNATURE_HEADER",
    "TWILIO_API_BASE",
    "TwilioGateway",
    "parse_twilio_params",
    "signing_url",
    "twilio_error",
    "twilio_signature",
    "valid_twilio_signature",
]
