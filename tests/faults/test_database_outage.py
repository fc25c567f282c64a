"""The database is down for 30 s while people write, to a polling process and to a webhook
process at once (two real `jkp-bot run` against one database): no update is lost, none is
answered twice, every chat's replies come in order once the database is back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.testing.fake_bot_api import FakeBotAPI
from bot.testing.outage import Store
from bot.testing.process import BotProcess, assert_clean_log, bot_env, free_port
from bot.testing.telegram_user import TelegramUser

OUTAGE_SECONDS = 30.0
SECRET = "outage-secret_0123456789"
WELCOME = ("selamat datang di Pendamping JKP", "UU 27/2022")
AGREED = ("Persetujuan Anda sudah dicatat", "Apa yang ingin Anda lakukan?")
MENU = ("Apa yang ingin Anda lakukan?",)


async def test_database_down_30_s_loses_no_update(
    api: FakeBotAPI, store: Store, tmp_path: Path
) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/tg"
    polling = BotProcess(bot_env(api, store.url), tmp_path / "polling.log")
    webhook = BotProcess(
        bot_env(api, store.url, WEBHOOK_URL=hook, WEBHOOK_SECRET=SECRET,
                WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=str(port)),
        tmp_path / "webhook.log",
    )  # fmt: skip
    by_polling = [TelegramUser(api, 9101 + i, timeout=60) for i in range(3)]
    by_webhook = [TelegramUser(api, 9201 + i, webhook=hook, secret=SECRET, timeout=60)
                  for i in range(3)]  # fmt: skip
    try:
        await polling.start()
        await polling.wait_for_log("polling for updates")
        await webhook.start()
        await webhook.wait_for_log("webhook on")
        for user in by_polling + by_webhook:
            await user.say("/start", *WELCOME, wait=False)
        for user in by_polling + by_webhook:
            await user.settle()
        await store.settled()  # nothing in flight: any repeat later would be a bug

        await store.down()
        for user in by_polling:
            await user.press("consent:agree", *AGREED, wait=False)
            await user.say("/menu", *MENU, wait=False)

        async def through_webhook(user: TelegramUser) -> None:
            await user.press("consent:agree", *AGREED, wait=False)  # 503 until the end
            await user.say("/menu", *MENU, wait=False)

        delivering = [asyncio.create_task(through_webhook(u)) for u in by_webhook]
        await asyncio.sleep(OUTAGE_SECONDS)
        assert not any(api.messages_to(u.chat)[2:] for u in by_polling + by_webhook)
        await store.up()

        await asyncio.gather(*delivering)
        for user in by_polling + by_webhook:
            await user.settle()  # the exact replies: nothing lost, nothing twice, in order
        assert all(503 in u.webhook_refusals for u in by_webhook)  # Telegram was asked again
        assert "stays unconfirmed" in polling.output()

        assert await polling.terminate() == 0
        assert await webhook.terminate() == 0
        for user in by_polling + by_webhook:
            user.check()  # nothing came late either
        assert_clean_log(polling.output(), webhook.output())
    finally:
        await polling.stop()
        await webhook.stop()
