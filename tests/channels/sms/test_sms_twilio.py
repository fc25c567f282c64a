"""Twilio's format: the signature (checked against the ``twilio`` package's RequestValidator),
webhook parsing, error mapping, and real HTTP against the fake gateway."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
import pytest_asyncio
from aiohttp import web
from twilio.request_validator import RequestValidator

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
)
from bot.channels.sms.twilio_gateway import (
    DEFAULT_RETRY_SECONDS,
    EMPTY_TWIML,
    SIGNATURE_HEADER,
    TwilioGateway,
    parse_twilio_params,
    signing_url,
    twilio_error,
    twilio_signature,
    valid_twilio_signature,
)
from bot.channels.sms.web import add_sms_webhook
from bot.testing.fake_sms_gateway import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    FakeSmsGateway,
    twilio_inbound_params,
)
from scheduler.outbox import RetryLater, Unreachable

TOKEN = "12345678901234567890123456789012"
BUDI = "+6281234567890"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# -- the signature ------------------------------------------------------------------------
SIGNED_REQUESTS = [
    ("https://bot.example.org/sms", {}),
    ("https://bot.example.org/sms", twilio_inbound_params(BUDI, body="halo")),
    ("https://bot.example.org/sms?x=1&y=2", {"Body": "Menu", "From": BUDI, "To": "+1"}),
    ("https://bot.example.org:8443/jkp/sms", {"Body": "Terima kasih 🙏 “ya”", "A": "", "a": "b"}),
    (
        "http://127.0.0.1:8080/sms",
        twilio_inbound_params(
            BUDI,
            body="",
            whatsapp=True,
            media=[
                ("https://media.example/1", "image/jpeg"),
                ("https://media.example/2", "image/png"),
            ],
        ),
    ),
]


@pytest.mark.parametrize(("url", "params"), SIGNED_REQUESTS)
def test_signature_matches_twilios_validator(url: str, params: dict[str, str]) -> None:
    validator = RequestValidator(TOKEN)
    ours = twilio_signature(TOKEN, url, params.items())
    assert ours == validator.compute_signature(url, params)
    assert validator.validate(url, params, ours)
    assert valid_twilio_signature(TOKEN, url, params.items(), ours)


@pytest.mark.parametrize(("url", "params"), SIGNED_REQUESTS)
def test_a_changed_request_or_token_fails(url: str, params: dict[str, str]) -> None:
    good = RequestValidator(TOKEN).compute_signature(url, params)
    tampered = {**params, "Body": params.get("Body", "") + "x"}
    assert not valid_twilio_signature(TOKEN, url, tampered.items(), good)
    assert not valid_twilio_signature(TOKEN, url + "/other", params.items(), good)
    assert not valid_twilio_signature("another-token", url, params.items(), good)
    assert not valid_twilio_signature(TOKEN, url, params.items(), "")
    assert not valid_twilio_signature(TOKEN, url, params.items(), good[:-2] + "ü=")


def test_sorting_is_by_byte_order_and_repeated_names_keep_every_value() -> None:
    pairs = [("b", "2"), ("B", "1"), ("a", "z"), ("a", "y")]
    url = "https://x.example/sms"
    # Twilio: "B1" < "a.." < "b2" (upper case first), values of a name sorted.
    import base64
    import hashlib
    import hmac

    data = url + "B1" + "ay" + "az" + "b2"
    expected = base64.b64encode(
        hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()
    ).decode()
    assert twilio_signature(TOKEN, url, pairs) == expected


@pytest.mark.parametrize(
    ("signed", "received"),
    [
        ("https://bot.example.org/sms", "https://bot.example.org:443/sms"),
        ("https://bot.example.org:443/sms", "https://bot.example.org/sms"),
        ("http://bot.example.org/sms", "http://bot.example.org:80/sms"),
    ],
)
def test_the_default_port_may_be_there_or_not(signed: str, received: str) -> None:
    params = {"Body": "1", "From": BUDI}
    signature = RequestValidator(TOKEN).compute_signature(signed, params)
    assert valid_twilio_signature(TOKEN, received, params.items(), signature)
    assert RequestValidator(TOKEN).validate(received, params, signature)


@pytest.mark.parametrize(
    ("request_url", "public", "expected"),
    [
        ("http://10.0.0.5:8080/sms", "", "http://10.0.0.5:8080/sms"),
        (
            "http://10.0.0.5:8080/sms",
            "https://bot.example.org/jkp/sms",
            "https://bot.example.org/jkp/sms",
        ),
        (
            "http://10.0.0.5:8080/sms?k=v",
            "https://bot.example.org/sms",
            "https://bot.example.org/sms?k=v",
        ),
        (
            "http://10.0.0.5:8080/sms",
            "https://bot.example.org/sms?k=v",
            "https://bot.example.org/sms?k=v",
        ),
    ],
)
def test_signing_url(request_url: str, public: str, expected: str) -> None:
    assert signing_url(request_url, public) == expected


# -- parsing --------------------------------------------------------------------------------
def test_parse_an_sms() -> None:
    params = twilio_inbound_params("+62 812-3456-7890", body="Menu", message_sid="SM1")
    assert parse_twilio_params(params) == InboundSms(
        SmsChannel.SMS, BUDI, "Menu", "SM1", recipient="+6281100000001"
    )


def test_parse_a_whatsapp_photo_and_a_quick_reply() -> None:
    media = [("https://api.twilio.com/m/ME1", "image/jpeg"), ("https://x/ME2", "image/png")]
    photo = parse_twilio_params(
        twilio_inbound_params(BUDI, body="bukti", whatsapp=True, media=media, message_sid="MM1")
    )
    assert photo is not None
    assert (photo.channel, photo.sender, photo.text) == (SmsChannel.WHATSAPP, BUDI, "bukti")
    assert photo.media == (Media(*media[0]), Media(*media[1]))
    assert photo.recipient == "+6281100000002"
    reply = parse_twilio_params(
        twilio_inbound_params(BUDI, body="Ya", whatsapp=True, button_payload="consent:agree")
    )
    assert reply is not None and reply.payload == "consent:agree"


def test_num_media_bounds_what_is_read() -> None:
    params = twilio_inbound_params(BUDI, media=[("https://x/1", "image/jpeg")])
    params["MediaUrl1"] = "https://x/not-counted"
    parsed = parse_twilio_params(params)
    assert parsed is not None and [m.url for m in parsed.media] == ["https://x/1"]


def test_a_status_callback_carries_no_message() -> None:
    assert parse_twilio_params({"MessageSid": "SM1", "MessageStatus": "delivered"}) is None


@pytest.mark.parametrize(
    "change",
    [
        {"MessageSid": "", "SmsMessageSid": ""},
        {"From": "whatsapp:budi"},
        {"From": ""},
        {"NumMedia": "dua"},
    ],
)
def test_malformed_webhooks_are_rejected_400(change: dict[str, str]) -> None:
    with pytest.raises(WebhookRejected) as caught:
        parse_twilio_params({**twilio_inbound_params(BUDI, body="x"), **change})
    assert caught.value.status == 400


def _request(
    params: dict[str, str],
    url: str = "https://bot.example.org/sms",
    token: str = DEFAULT_AUTH_TOKEN,
    headers: dict[str, str] | None = None,
) -> WebhookRequest:
    signature = twilio_signature(token, url, params.items())
    return WebhookRequest(
        url,
        {**FORM, SIGNATURE_HEADER: signature, **(headers or {})},
        urlencode(params).encode(),
    )


def _gateway(**kwargs: str) -> TwilioGateway:
    return TwilioGateway(
        DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, sms_from="+6281100000001", **kwargs
    )


def test_gateway_parse_checks_signature_content_type_and_account() -> None:
    gateway = _gateway()
    params = twilio_inbound_params(BUDI, body="halo")
    parsed = gateway.parse(_request(params))
    assert parsed is not None and parsed.text == "halo"
    for request, status in [
        (_request(params, token="wrong"), 403),
        (_request(params, headers={"Content-Type": "application/json"}), 415),
        (_request({**params, "AccountSid": "AC" + "f" * 32}), 403),
        (WebhookRequest("https://bot.example.org/sms", FORM, urlencode(params).encode()), 403),
    ]:
        with pytest.raises(WebhookRejected) as caught:
            gateway.parse(request)
        assert caught.value.status == status


def test_behind_a_proxy_the_public_url_is_what_twilio_signed() -> None:
    params = twilio_inbound_params(BUDI, body="halo")
    signed = _request(params, url="https://bot.example.org/jkp/sms")
    internal = WebhookRequest("http://127.0.0.1:8080/sms", signed.headers, signed.body)
    with pytest.raises(WebhookRejected):
        _gateway().parse(internal)
    assert _gateway(public_url="https://bot.example.org/jkp/sms").parse(internal) is not None


def test_acknowledge_is_empty_twiml() -> None:
    reply = _gateway().acknowledge()
    assert (reply.status, reply.content_type, reply.body) == (200, "text/xml", EMPTY_TWIML)


# -- REST errors ----------------------------------------------------------------------------
def _twilio_body(code: int, message: str = "m") -> str:
    return json.dumps({"code": code, "message": message, "status": 400})


@pytest.mark.parametrize(
    ("status", "body", "retry_after", "kind", "permanent"),
    [
        (429, _twilio_body(20429), "7", RetryLater, None),
        (429, _twilio_body(20429), None, RetryLater, None),
        (500, _twilio_body(20500), None, GatewayError, False),
        (503, "<html>Service Unavailable</html>", None, GatewayError, False),
        (400, _twilio_body(21610), None, Unreachable, None),
        (400, _twilio_body(21211), None, Unreachable, None),
        (400, _twilio_body(21614), None, Unreachable, None),
        (400, _twilio_body(63003), None, Unreachable, None),
        (400, _twilio_body(63016), None, OutsideWindow, True),
        (400, _twilio_body(21617), None, GatewayError, True),
        (400, _twilio_body(21408), None, GatewayError, True),
        (401, _twilio_body(20003), None, GatewayError, False),
        (404, _twilio_body(20404), None, GatewayError, False),
        (422, "not json", None, GatewayError, True),
    ],
)
def test_rest_errors_map_to_the_senders_exceptions(
    status: int,
    body: str,
    retry_after: str | None,
    kind: type[Exception],
    permanent: bool | None,
) -> None:
    error = twilio_error(status, body, retry_after)
    assert type(error) is kind
    if isinstance(error, RetryLater):
        assert error.seconds == (float(retry_after) if retry_after else DEFAULT_RETRY_SECONDS)
    if isinstance(error, GatewayError):
        assert error.permanent is permanent
        assert error.status == status


# -- real HTTP against the fake gateway ------------------------------------------------------
@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSmsGateway]:
    async with FakeSmsGateway() as server:
        yield server


@pytest_asyncio.fixture
async def twilio(fake: FakeSmsGateway) -> AsyncIterator[TwilioGateway]:
    gateway = TwilioGateway(
        fake.account_sid,
        fake.auth_token,
        sms_from=fake.number,
        whatsapp_from=fake.whatsapp_number,
        api_base=fake.base_url,
    )
    yield gateway
    await gateway.close()


async def test_send_an_sms(fake: FakeSmsGateway, twilio: TwilioGateway) -> None:
    sid = await twilio.send(OutgoingSms(SmsChannel.SMS, BUDI, text="Halo, Budi"))
    (request,) = fake.requests
    assert request.authorised
    assert request.path == f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    assert request.params == {"To": BUDI, "From": fake.number, "Body": "Halo, Budi"}
    assert [m.id for m in fake.sent] == [sid]
    assert sid.startswith("SM")


async def test_send_whatsapp_text_and_template(fake: FakeSmsGateway, twilio: TwilioGateway) -> None:
    await twilio.send(OutgoingSms(SmsChannel.WHATSAPP, BUDI, text="Halo"))
    template = Template("HX" + "1" * 32, {"1": "Budi", "2": "30 September 2025"})
    await twilio.send(OutgoingSms(SmsChannel.WHATSAPP, BUDI, template=template))
    text, templated = (r.params for r in fake.requests)
    assert text == {
        "To": f"whatsapp:{BUDI}",
        "From": f"whatsapp:{fake.whatsapp_number}",
        "Body": "Halo",
    }
    assert templated["ContentSid"] == template.sid
    assert json.loads(templated["ContentVariables"]) == dict(template.variables)
    assert "Body" not in templated
    assert [m.channel for m in fake.sent] == [SmsChannel.WHATSAPP] * 2


async def test_a_messaging_service_picks_the_number(fake: FakeSmsGateway) -> None:
    service = "MG" + "a" * 32
    gateway = TwilioGateway(
        fake.account_sid, fake.auth_token, sms_from=service, api_base=fake.base_url
    )
    try:
        await gateway.send(OutgoingSms(SmsChannel.SMS, BUDI, text="Halo"))
    finally:
        await gateway.close()
    assert fake.requests[0].params == {"To": BUDI, "MessagingServiceSid": service, "Body": "Halo"}


async def test_whatsapp_without_a_sender_is_refused_before_any_request(
    fake: FakeSmsGateway,
) -> None:
    gateway = TwilioGateway(
        fake.account_sid, fake.auth_token, sms_from=fake.number, api_base=fake.base_url
    )
    with pytest.raises(GatewayError) as caught:
        await gateway.send(OutgoingSms(SmsChannel.WHATSAPP, BUDI, text="Halo"))
    assert caught.value.permanent and fake.requests == []
    await gateway.close()


async def test_failures_over_http(fake: FakeSmsGateway, twilio: TwilioGateway) -> None:
    message = OutgoingSms(SmsChannel.SMS, BUDI, text="Pengingat")
    fake.fail_next(429, 20429, "Too Many Requests", retry_after=3)
    with pytest.raises(RetryLater) as later:
        await twilio.send(message)
    assert later.value.seconds == 3
    fake.fail_next(503, 20503, "Service Unavailable")
    with pytest.raises(GatewayError) as unavailable:
        await twilio.send(message)
    assert not unavailable.value.permanent
    fake.unsubscribe(BUDI)
    with pytest.raises(Unreachable, match="21610"):
        await twilio.send(message)
    with pytest.raises(Unreachable, match="21211"):
        await twilio.send(OutgoingSms(SmsChannel.SMS, "+62812", text="x"))
    assert fake.sent == []


async def test_wrong_credentials(fake: FakeSmsGateway) -> None:
    gateway = TwilioGateway(fake.account_sid, "wrong", sms_from=fake.number, api_base=fake.base_url)
    with pytest.raises(GatewayError) as caught:
        await gateway.send(OutgoingSms(SmsChannel.SMS, BUDI, text="x"))
    await gateway.close()
    assert (caught.value.status, caught.value.code, caught.value.permanent) == (401, "20003", False)
    assert not fake.requests[0].authorised


async def test_timeouts_and_refused_connections_are_transient(fake: FakeSmsGateway) -> None:
    slow = TwilioGateway(
        fake.account_sid, fake.auth_token, sms_from=fake.number, api_base=fake.base_url, timeout=0.2
    )
    fake.stall_next()
    with pytest.raises(GatewayError) as timed_out:
        await slow.send(OutgoingSms(SmsChannel.SMS, BUDI, text="x"))
    assert not timed_out.value.permanent
    await slow.close()
    gone = TwilioGateway(
        fake.account_sid, fake.auth_token, sms_from=fake.number, api_base="http://127.0.0.1:9"
    )
    with pytest.raises(GatewayError) as refused:
        await gone.send(OutgoingSms(SmsChannel.SMS, BUDI, text="x"))
    assert not refused.value.permanent
    await gone.close()


# -- the webhook on an aiohttp app -----------------------------------------------------------
@dataclass
class Webhook:
    url: str
    received: list[InboundSms] = field(default_factory=list)


@pytest_asyncio.fixture
async def webhook(twilio: TwilioGateway) -> AsyncIterator[Webhook]:
    app = web.Application()
    hook = Webhook("")

    async def handle(inbound: InboundSms) -> None:
        hook.received.append(inbound)

    add_sms_webhook(app, "/sms", twilio, handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/sms"
    yield hook
    await runner.cleanup()


async def test_signed_webhooks_reach_the_handler(fake: FakeSmsGateway, webhook: Webhook) -> None:
    status, body = await fake.post_inbound(webhook.url, BUDI, "menu", message_sid="SM9")
    assert (status, body) == (200, EMPTY_TWIML)
    media = [("https://api.twilio.com/media/ME1", "image/jpeg")]
    status, _ = await fake.post_inbound(webhook.url, BUDI, "", whatsapp=True, media=media)
    assert status == 200
    sms, photo = webhook.received
    assert (sms.channel, sms.sender, sms.text, sms.message_id) == (
        SmsChannel.SMS,
        BUDI,
        "menu",
        "SM9",
    )
    assert (photo.channel, photo.media) == (SmsChannel.WHATSAPP, (Media(*media[0]),))


async def test_forged_webhooks_never_reach_the_handler(
    fake: FakeSmsGateway, webhook: Webhook
) -> None:
    status, _ = await fake.post_inbound(webhook.url, BUDI, "hapus", signature="Zm9yZ2Vk")
    assert status == 403
    other = FakeSmsGateway(auth_token="another-account-token")
    status, _ = await other.post_inbound(webhook.url, BUDI, "hapus")
    await other.stop()
    assert status == 403
    assert webhook.received == []


async def test_a_handler_failure_is_a_500_so_the_provider_retries(
    fake: FakeSmsGateway, twilio: TwilioGateway
) -> None:
    app = web.Application()

    async def broken(inbound: InboundSms) -> None:
        raise RuntimeError("database down")

    add_sms_webhook(app, "/sms", twilio, broken)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        status, _ = await fake.post_inbound(
            f"http://127.0.0.1:{runner.addresses[0][1]}/sms", BUDI, "1"
        )
    finally:
        await runner.cleanup()
    assert status == 500
