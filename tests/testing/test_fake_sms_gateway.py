"""The fake SMS gateway: Twilio's Messages API and the JSON API over real HTTP, failure
injection, and the helpers that post signed inbound webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from twilio.request_validator import RequestValidator

from bot.channels.sms.gateway import SmsChannel
from bot.channels.sms.twilio_gateway import SIGNATURE_HEADER, basic_auth
from bot.testing.fake_sms_gateway import (
    DEFAULT_ACCOUNT_SID,
    FakeSmsGateway,
    SentMessage,
    twilio_inbound_params,
)

BUDI = "+6281234567890"
SITI = "+6285712345678"


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSmsGateway]:
    async with FakeSmsGateway() as server:
        yield server


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _create(
    http: aiohttp.ClientSession,
    fake: FakeSmsGateway,
    form: dict[str, str],
    *,
    token: str | None = None,
    account: str | None = None,
) -> tuple[int, dict[str, Any], str | None]:
    account = account or fake.account_sid
    url = f"{fake.base_url}/2010-04-01/Accounts/{account}/Messages.json"
    headers = {"Authorization": basic_auth(fake.account_sid, token or fake.auth_token)}
    async with http.post(url, data=form, headers=headers) as response:
        return response.status, await response.json(), response.headers.get("Retry-After")


async def test_lifecycle() -> None:
    fake = FakeSmsGateway()
    with pytest.raises(RuntimeError):
        _ = fake.base_url
    await fake.start()
    with pytest.raises(RuntimeError):
        await fake.start()
    assert fake.base_url.startswith("http://127.0.0.1:")
    await fake.stop()
    await fake.stop()


async def test_create_answers_like_twilio(
    fake: FakeSmsGateway, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await _create(
        http, fake, {"To": BUDI, "From": fake.number, "Body": "a" * 161}
    )
    assert status == 201
    assert body["sid"].startswith("SM") and len(body["sid"]) == 34
    assert (body["status"], body["num_segments"], body["to"]) == ("queued", "2", BUDI)
    (sent,) = fake.sent
    assert sent == SentMessage(body["sid"], "twilio", SmsChannel.SMS, BUDI, fake.number, "a" * 161)
    assert fake.texts_to(BUDI) == ["a" * 161]
    assert fake.texts_to(BUDI, SmsChannel.WHATSAPP) == []


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [
        ({"From": "+6281100000001", "Body": "x"}, 400, 21604),
        ({"To": "0812", "From": "+6281100000001", "Body": "x"}, 400, 21211),
        ({"To": BUDI, "Body": "x"}, 400, 21603),
        ({"To": BUDI, "From": "+6281100000001"}, 400, 21602),
        ({"To": BUDI, "From": "+6281100000001", "Body": "x" * 1601}, 400, 21617),
    ],
)
async def test_create_validates_like_twilio(
    fake: FakeSmsGateway, http: aiohttp.ClientSession, form: dict[str, str], status: int, code: int
) -> None:
    got_status, body, _ = await _create(http, fake, form)
    assert (got_status, body["code"]) == (status, code)
    assert fake.sent == [] and len(fake.requests) == 1


async def test_unauthorised_calls_are_recorded_and_refused(
    fake: FakeSmsGateway, http: aiohttp.ClientSession
) -> None:
    form = {"To": BUDI, "From": fake.number, "Body": "x"}
    assert (await _create(http, fake, form, token="wrong"))[:2] == (
        401,
        {
            "code": 20003,
            "message": "Authenticate",
            "status": 401,
            "more_info": "https://www.twilio.com/docs/errors/20003",
        },
    )
    assert (await _create(http, fake, form, account="AC" + "f" * 32))[0] == 401
    assert [r.authorised for r in fake.requests] == [False, False]
    assert fake.sent == []


async def test_failures_are_used_in_order_and_can_target_a_number(
    fake: FakeSmsGateway, http: aiohttp.ClientSession
) -> None:
    fake.fail_next(500, to=SITI)
    fake.fail_next(429, 20429, "Too Many Requests", retry_after=3)
    fake.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    results = []
    for to in (BUDI, BUDI, BUDI, SITI, SITI):
        status, body, retry_after = await _create(
            http, fake, {"To": to, "From": fake.number, "Body": "x"}
        )
        results.append((to, status, body.get("code"), retry_after))
    assert results == [
        (BUDI, 429, 20429, "3"),
        (BUDI, 400, 21610, None),
        (BUDI, 201, None, None),
        (SITI, 500, None, None),
        (SITI, 201, None, None),
    ]


async def test_unsubscribe_is_lasting(fake: FakeSmsGateway, http: aiohttp.ClientSession) -> None:
    fake.unsubscribe(BUDI)
    for _ in range(2):
        status, body, _ = await _create(http, fake, {"To": BUDI, "From": fake.number, "Body": "x"})
        assert (status, body["code"]) == (400, 21610)
    assert (await _create(http, fake, {"To": SITI, "From": fake.number, "Body": "x"}))[0] == 201


async def test_whatsapp_and_templates_are_recorded(
    fake: FakeSmsGateway, http: aiohttp.ClientSession
) -> None:
    form = {
        "To": f"whatsapp:{BUDI}",
        "From": f"whatsapp:{fake.whatsapp_number}",
        "ContentSid": "HX" + "0" * 32,
        "ContentVariables": json.dumps({"1": "Budi"}),
    }
    assert (await _create(http, fake, form))[0] == 201
    (sent,) = fake.sent
    assert (sent.channel, sent.to, sent.sender) == (SmsChannel.WHATSAPP, BUDI, fake.whatsapp_number)
    assert (sent.content_sid, sent.content_variables, sent.body) == (
        "HX" + "0" * 32,
        {"1": "Budi"},
        "",
    )


async def test_wait_for(fake: FakeSmsGateway, http: aiohttp.ClientSession) -> None:
    waiting = asyncio.create_task(fake.wait_for(2, lambda m: m.to == BUDI))
    await asyncio.sleep(0)
    for to in (SITI, BUDI, BUDI):
        await _create(http, fake, {"To": to, "From": fake.number, "Body": "x"})
    assert [m.to for m in await waiting] == [BUDI, BUDI]
    with pytest.raises(TimeoutError):
        await fake.wait_for(1, lambda m: m.to == "+6280000000000", timeout=0.05)


async def test_json_api(fake: FakeSmsGateway, http: aiohttp.ClientSession) -> None:
    url = f"{fake.base_url}/messages"
    good = {"Authorization": f"Bearer {fake.api_token}"}
    cases = [
        ({"Authorization": "Bearer nope"}, {"to": BUDI, "text": "x"}, 401, "unauthorised"),
        (good, [1, 2], 400, "bad_request"),
        (good, {"to": BUDI, "text": "x", "channel": "fax"}, 400, "bad_request"),
        (good, {"to": "0812", "text": "x"}, 400, "invalid_number"),
        (good, {"to": BUDI}, 400, "bad_request"),
    ]
    for headers, payload, status, code in cases:
        async with http.post(url, json=payload, headers=headers) as response:
            assert (response.status, (await response.json())["error"]["code"]) == (status, code)
    async with http.post(
        url, json={"to": BUDI, "text": "Halo", "from": "JKP"}, headers=good
    ) as response:
        assert response.status == 201
        assert (await response.json())["id"] == fake.sent[0].id
    assert fake.sent[0].api == "json" and fake.texts_to(BUDI) == ["Halo"]
    assert [r.authorised for r in fake.requests] == [False] + [True] * 5


# -- inbound helpers: what they post is what Twilio (and the JSON shape) would post ---------
@pytest_asyncio.fixture
async def catcher() -> AsyncIterator[tuple[str, list[tuple[str, dict[str, str], bytes]]]]:
    """A server that records what it is posted: (url, headers, body)."""
    caught: list[tuple[str, dict[str, str], bytes]] = []

    async def record(request: web.Request) -> web.Response:
        caught.append((str(request.url), dict(request.headers), await request.read()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook?src=test", caught
    await runner.cleanup()


async def test_post_inbound_is_signed_as_twilio_signs(
    fake: FakeSmsGateway, catcher: tuple[str, list[tuple[str, dict[str, str], bytes]]]
) -> None:
    url, caught = catcher
    media = [("https://media.example/ME1", "image/jpeg")]
    assert await fake.post_inbound(url, BUDI, "bukti", whatsapp=True, media=media) == (200, "ok")
    ((received_url, headers, body),) = caught
    form = dict(parse_qsl(body.decode(), keep_blank_values=True))
    assert RequestValidator(fake.auth_token).validate(received_url, form, headers[SIGNATURE_HEADER])
    assert form["From"] == f"whatsapp:{BUDI}" and form["To"] == f"whatsapp:{fake.whatsapp_number}"
    assert (form["NumMedia"], form["MediaUrl0"], form["MediaContentType0"]) == ("1", *media[0])
    assert form["AccountSid"] == DEFAULT_ACCOUNT_SID and form["MessageSid"].startswith("MM")


async def test_post_json_inbound_is_signed(
    fake: FakeSmsGateway, catcher: tuple[str, list[tuple[str, dict[str, str], bytes]]]
) -> None:
    url, caught = catcher
    await fake.post_json_inbound(url, BUDI, "halo", message_id="m-1")
    ((_, headers, body),) = caught
    expected = hmac.new(fake.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == f"sha256={expected}"
    assert json.loads(body) == {
        "id": "m-1",
        "channel": "sms",
        "from": BUDI,
        "to": fake.number,
        "text": "halo",
        "media": [],
    }


def test_inbound_params_for_a_quick_reply() -> None:
    params = twilio_inbound_params(BUDI, body="Ya", whatsapp=True, button_payload="consent:agree")
    assert (params["ButtonPayload"], params["ButtonText"], params["MessageType"]) == (
        "consent:agree",
        "Ya",
        "button",
    )
    assert params["WaId"] == BUDI[1:]
