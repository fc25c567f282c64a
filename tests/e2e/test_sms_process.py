"""End to end: the real `jkp-bot run` serving SMS and WhatsApp, alone (no Telegram token) and
beside Telegram (long polling; webhooks on the same aiohttp server), against the fake SMS
gateway (signed webhooks in, REST calls out) and the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.channels.sms.gateway import SmsChannel
from bot.testing.fake_bot_api import FakeBotAPI, text_update
from bot.testing.fake_sms_gateway import FakeSmsGateway, SentMessage
from bot.testing.process import BotProcess, assert_clean_log, bot_env, free_port, process_env
from bot.testing.telegram_user import TelegramUser

BUDI, SITI = "+6281234500001", "+6281234500002"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSmsGateway]:
    async with FakeSmsGateway() as server:
        yield server


def sms_env(fake: FakeSmsGateway, port: int) -> dict[str, str]:
    return {
        "SMS_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "SMS_FROM": fake.number,
        "WHATSAPP_FROM": fake.whatsapp_number,
        "SMS_API_BASE": fake.base_url,
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "OUTBOX_LEASE_SECONDS": "5",
    }


async def paged(fake: FakeSmsGateway, url: str, number: str, fragment: str) -> None:
    """Reply LAGI to each page by SMS until a message to ``number`` says ``fragment``."""
    for _ in range(6):
        page = await reply(fake, number, SmsChannel.SMS, "")
        if any(fragment in m.body for m in fake.sent if m.to == number):
            return
        assert "Balas LAGI" in page.body
        seen = len(fake.sent)
        assert (await fake.post_inbound(url, number, "LAGI"))[0] == 200
        await fake.wait_for(seen + 1, timeout=30)
    raise AssertionError(f"{fragment!r} never came: {fake.texts_to(number)}")


async def reply(
    fake: FakeSmsGateway, number: str, channel: SmsChannel, fragment: str
) -> SentMessage:
    """The message to ``number`` on ``channel`` that says ``fragment`` (waits for it)."""

    def match(m: SentMessage) -> bool:
        return m.to == number and m.channel is channel and fragment in m.body

    found = await fake.wait_for(1, match, timeout=30)
    return found[-1]


async def test_sms_and_whatsapp_alone_without_a_telegram_token(
    fake: FakeSmsGateway, tmp_path: Path
) -> None:
    port = free_port()
    env = process_env(f"sqlite:///{tmp_path / 'jkp.sqlite3'}", **sms_env(fake, port))
    bot = BotProcess(env, tmp_path / "bot.log")
    url = f"http://127.0.0.1:{port}/sms"
    try:
        await bot.start()
        await bot.wait_for_log("SMS webhook on")
        assert (await fake.post_inbound(url, BUDI, "halo"))[0] == 200
        await reply(fake, BUDI, SmsChannel.SMS, "selamat datang di Pendamping JKP")
        await paged(fake, url, BUDI, "1. Setuju")
        assert (await fake.post_inbound(url, BUDI, "1"))[0] == 200
        await reply(fake, BUDI, SmsChannel.SMS, "1. Cek kelayakan JKP")
        assert (await fake.post_inbound(url, SITI, "halo", whatsapp=True))[0] == 200
        await reply(fake, SITI, SmsChannel.WHATSAPP, "1. Setuju")
        forged = await fake.post_inbound(url, BUDI, "hapus", signature="AAAA")
        assert forged[0] == 403
        assert await bot.terminate() == 0
        assert_clean_log(bot.output())
    finally:
        await bot.stop()


async def test_sms_beside_telegram_polling(fake: FakeSmsGateway, tmp_path: Path) -> None:
    port = free_port()
    async with FakeBotAPI() as api:
        env = bot_env(api, f"sqlite:///{tmp_path / 'jkp.sqlite3'}", **sms_env(fake, port))
        bot = BotProcess(env, tmp_path / "bot.log")
        try:
            await bot.start()
            await bot.wait_for_log("serving webhooks on")
            user = TelegramUser(api, 880001)
            await user.say("/start", "selamat datang di Pendamping JKP", "setuju")
            url = f"http://127.0.0.1:{port}/sms"
            assert (await fake.post_inbound(url, BUDI, "halo"))[0] == 200
            await paged(fake, url, BUDI, "1. Setuju")
            assert await bot.terminate() == 0
            user.check()
            assert_clean_log(bot.output())
        finally:
            await bot.stop()


async def test_sms_beside_telegram_webhooks_on_one_server(
    fake: FakeSmsGateway, tmp_path: Path
) -> None:
    port = free_port()
    secret = "s3cret-token_for-tests"
    async with FakeBotAPI() as api:
        env = bot_env(
            api, f"sqlite:///{tmp_path / 'jkp.sqlite3'}", **sms_env(fake, port),
            WEBHOOK_URL=f"http://127.0.0.1:{port}/tg-hook", WEBHOOK_SECRET=secret,
        )  # fmt: skip
        bot = BotProcess(env, tmp_path / "bot.log")
        try:
            await bot.start()
            await api.wait_for("setWebhook", timeout=30)
            update = {**text_update(880002, "/start"), "update_id": 7}
            async with (
                aiohttp.ClientSession() as http,
                http.post(
                    f"http://127.0.0.1:{port}/tg-hook",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": secret},
                ) as r,
            ):
                assert r.status == 200
            url = f"http://127.0.0.1:{port}/sms"
            assert (await fake.post_inbound(url, BUDI, "halo"))[0] == 200
            await paged(fake, url, BUDI, "1. Setuju")
            calls = await api.wait_for("sendMessage", count=2, timeout=30)
            assert "Pendamping JKP" in calls[0].params["text"]
            assert await bot.terminate() == 0
            assert_clean_log(bot.output())
        finally:
            await bot.stop()
