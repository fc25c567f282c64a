"""The generic JSON format, the shared message types, and picking a gateway from settings."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from bot.channels.sms.gateway import (
    GatewayError,
    InboundSms,
    Media,
    OutgoingSms,
    OutsideWindow,
    SmsChannel,
    Template,
    WebhookRejected,
    WebhookRequest,
    media_kind,
    to_event,
)
from bot.channels.sms.json_gateway import (
    SIGNATURE_HEADER,
    JsonGateway,
    json_error,
    json_signature,
    parse_json_message,
    valid_json_signature,
)
from bot.channels.sms.providers import build_gateway
from bot.channels.sms.twilio_gateway import TwilioGateway
from bot.channels.sms.web import add_sms_webhook
from bot.core.types import EventKind, InboundEvent
from bot.settings import Settings, SettingsError
from bot.testing.fake_sms_gateway import (
    DEFAULT_WEBHOOK_SECRET,
    FakeSmsGateway,
    json_inbound_body,
)
from scheduler.outbox import RetryLater, Unreachable

BUDI = "+6281234567890"
SECRET = DEFAULT_WEBHOOK_SECRET


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"id": "1", "from": "+6281234567890", "text": "halo"}'
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert json_signature(SECRET, body) == f"sha256={expected}"
    assert valid_json_signature(SECRET, body, f"sha256={expected}")
    assert not valid_json_signature(SECRET, body + b" ", f"sha256={expected}")
    assert not valid_json_signature("other-secret-123", body, f"sha256={expected}")
    assert not valid_json_signature(SECRET, body, expected)  # the prefix is part of it
    assert not valid_json_signature(SECRET, body, "")


def test_parse_the_documented_shape() -> None:
    data = {
        "id": "msg-8f2c",
        "channel": "whatsapp",
        "from": "0812 3456 7890",
        "to": "+6281100000000",
        "text": "bukti",
        "media": [{"url": "https://agg.example/m/1", "content_type": "image/jpeg"}],
        "payload": "",
    }
    assert parse_json_message(data) == InboundSms(
        SmsChannel.WHATSAPP,
        BUDI,
        "bukti",
        "msg-8f2c",
        recipient="+6281100000000",
        media=(Media("https://agg.example/m/1", "image/jpeg"),),
    )
    minimal = parse_json_message({"id": "2", "from": BUDI})
    assert (minimal.channel, minimal.text, minimal.media) == (SmsChannel.SMS, "", ())


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"from": BUDI},
        {"id": "", "from": BUDI},
        {"id": "x" * 129, "from": BUDI},
        {"id": 5, "from": BUDI},
        {"id": "1"},
        {"id": "1", "from": "budi"},
        {"id": "1", "from": BUDI, "channel": "telegram"},
        {"id": "1", "from": BUDI, "text": 12},
        {"id": "1", "from": BUDI, "media": "https://x"},
        {"id": "1", "from": BUDI, "media": [{"content_type": "image/jpeg"}]},
    ],
)
def test_malformed_bodies_are_400(data: Any) -> None:
    with pytest.raises(WebhookRejected) as caught:
        parse_json_message(data)
    assert caught.value.status == 400


def _request(
    body: bytes, signature: str | None = None, content_type: str = "application/json"
) -> WebhookRequest:
    headers = {
        "content-type": content_type,
        SIGNATURE_HEADER: signature or json_signature(SECRET, body),
    }
    return WebhookRequest("http://127.0.0.1/sms", headers, body)


def test_gateway_parse_checks_content_type_signature_and_json() -> None:
    gateway = JsonGateway("http://agg", "token", SECRET)
    body = json.dumps(json_inbound_body(BUDI, "halo", message_id="m1")).encode()
    parsed = gateway.parse(_request(body))
    assert parsed is not None and (parsed.message_id, parsed.text) == ("m1", "halo")
    for request, status in [
        (_request(body, signature="sha256=00"), 403),
        (_request(body, content_type="text/plain"), 415),
        (_request(b"{not json"), 400),
    ]:
        with pytest.raises(WebhookRejected) as caught:
            gateway.parse(request)
        assert caught.value.status == status
    assert gateway.acknowledge().status == 200


@pytest.mark.parametrize(
    ("status", "code", "kind", "permanent"),
    [
        (429, "", RetryLater, None),
        (502, "", GatewayError, False),
        (400, "unsubscribed", Unreachable, None),
        (400, "invalid_number", Unreachable, None),
        (404, "unreachable", Unreachable, None),
        (400, "outside_window", OutsideWindow, True),
        (400, "too_long", GatewayError, True),
        (401, "unauthorised", GatewayError, False),
    ],
)
def test_json_errors_map_to_the_senders_exceptions(
    status: int, code: str, kind: type[Exception], permanent: bool | None
) -> None:
    error = json_error(status, json.dumps({"error": {"code": code, "message": "m"}}), "4")
    assert type(error) is kind
    if isinstance(error, RetryLater):
        assert error.seconds == 4
    if isinstance(error, GatewayError):
        assert error.permanent is permanent


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSmsGateway]:
    async with FakeSmsGateway() as server:
        yield server


async def test_send_over_http(fake: FakeSmsGateway) -> None:
    gateway = JsonGateway(
        fake.base_url, fake.api_token, SECRET, sms_from="JKP", whatsapp_from=fake.whatsapp_number
    )
    try:
        first = await gateway.send(OutgoingSms(SmsChannel.SMS, BUDI, text="Halo"))
        template = Template("reminder_v1", {"1": "Budi"})
        await gateway.send(OutgoingSms(SmsChannel.WHATSAPP, BUDI, template=template))
        fake.fail_next(429, retry_after=2)
        with pytest.raises(RetryLater):
            await gateway.send(OutgoingSms(SmsChannel.SMS, BUDI, text="x"))
        fake.unsubscribe(BUDI)
        with pytest.raises(Unreachable, match="unsubscribed"):
            await gateway.send(OutgoingSms(SmsChannel.SMS, BUDI, text="x"))
    finally:
        await gateway.close()
    sms, wa = (r.params for r in fake.requests[:2])
    assert sms == {"channel": "sms", "to": BUDI, "from": "JKP", "text": "Halo"}
    assert wa == {
        "channel": "whatsapp",
        "to": BUDI,
        "from": fake.whatsapp_number,
        "template": {"id": "reminder_v1", "variables": {"1": "Budi"}},
    }
    assert fake.sent[0].id == first
    assert fake.sent[1].content_sid == "reminder_v1"


async def test_signed_json_webhooks_reach_the_handler(fake: FakeSmsGateway) -> None:
    gateway = JsonGateway(fake.base_url, fake.api_token, fake.webhook_secret)
    received: list[InboundSms] = []

    async def handle(inbound: InboundSms) -> None:
        received.append(inbound)

    app = web.Application()
    add_sms_webhook(app, "/hook", gateway, handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        ok = await fake.post_json_inbound(url, BUDI, "Menu", message_id="a1")
        photo = await fake.post_json_inbound(
            url, BUDI, whatsapp=True, media=[("https://m/1", "image/png")]
        )
        forged = await fake.post_json_inbound(url, BUDI, "hapus", signature="sha256=beef")
    finally:
        await runner.cleanup()
        await gateway.close()
    assert [ok[0], photo[0], forged[0]] == [200, 200, 403]
    first = received[0]
    assert (first.channel, first.text, first.message_id) == (SmsChannel.SMS, "Menu", "a1")
    assert received[1].media == (Media("https://m/1", "image/png"),)
    assert len(received) == 2


# -- the shared types ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"text": "x", "template": Template("HX1")},
        {"template": Template("HX1")},  # SMS has no templates
    ],
)
def test_outgoing_sms_is_text_or_whatsapp_template(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        OutgoingSms(SmsChannel.SMS, BUDI, **kwargs)


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("image/jpeg", "photo"),
        ("IMAGE/PNG", "photo"),
        ("audio/ogg", "voice"),
        ("video/mp4", "video"),
        ("application/pdf", "document"),
        ("", "document"),
    ],
)
def test_media_kind(content_type: str, kind: str) -> None:
    assert media_kind(content_type) == kind


@pytest.mark.parametrize(
    ("inbound", "expected"),
    [
        (
            InboundSms(SmsChannel.SMS, BUDI, "menu", "SM1"),
            InboundEvent("sms", "p-1", EventKind.TEXT, text="menu", event_id="SM1"),
        ),
        (
            InboundSms(SmsChannel.WHATSAPP, BUDI, "Ya", "SM2", payload="consent:agree"),
            InboundEvent(
                "whatsapp", "p-1", EventKind.CHOICE, payload="consent:agree", event_id="SM2"
            ),
        ),
        (
            InboundSms(
                SmsChannel.WHATSAPP,
                BUDI,
                "slip",
                "MM3",
                media=(Media("https://m/1", "image/jpeg"), Media("https://m/2", "image/png")),
            ),
            InboundEvent(
                "whatsapp",
                "p-1",
                EventKind.MEDIA,
                text="slip",
                media="photo",
                attachment="https://m/1",
                event_id="MM3",
            ),
        ),
    ],
)
def test_to_event(inbound: InboundSms, expected: InboundEvent) -> None:
    assert to_event(inbound, "p-1") == expected


# -- from settings ----------------------------------------------------------------------------
def test_build_gateway_from_settings() -> None:
    twilio_env = {
        "SMS_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "t" * 32,
        "SMS_FROM": "+6281100000001",
        "SMS_WEBHOOK_URL": "https://bot.example.org/sms",
    }
    gateway = build_gateway(Settings.from_env(twilio_env).sms)
    assert isinstance(gateway, TwilioGateway)
    assert gateway.messages_url == (
        f"https://api.twilio.com/2010-04-01/Accounts/{'AC' + '0' * 32}/Messages.json"
    )
    assert gateway.public_url == "https://bot.example.org/sms"
    json_env = {
        "SMS_PROVIDER": "json",
        "SMS_API_BASE": "http://127.0.0.1:9000/",
        "SMS_API_TOKEN": "tok",
        "SMS_WEBHOOK_SECRET": SECRET,
        "SMS_FROM": "JKP",
    }
    json_gateway = build_gateway(Settings.from_env(json_env).sms)
    assert isinstance(json_gateway, JsonGateway)
    assert json_gateway.api_base == "http://127.0.0.1:9000"
    with pytest.raises(SettingsError):
        build_gateway(Settings().sms)
