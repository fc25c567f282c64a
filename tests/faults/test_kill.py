"""kill -9 and SIGTERM while an answer is in flight — an update being handled (the database
made slow at that moment) or a reply being sent (Telegram made to hang): nothing is lost,
nothing is answered twice, and SIGTERM ends with exit code 0."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.testing.fake_bot_api import FakeBotAPI
from bot.testing.outage import Store
from bot.testing.process import BotProcess, assert_clean_log, bot_env
from bot.testing.telegram_user import TelegramUser

CHAT_A, CHAT_B = 9301, 9302
WELCOME = ("selamat datang di Pendamping JKP", "UU 27/2022")
AGREED = ("Persetujuan Anda sudah dicatat", "Apa yang ingin Anda lakukan?")
MENU = ("Apa yang ingin Anda lakukan?",)


async def test_kill_9_and_sigterm_with_answers_in_flight(
    api: FakeBotAPI, store: Store, tmp_path: Path
) -> None:
    """Each stop hits two answers in flight: chat A's reply is being sent (Telegram hangs),
    chat B's update is being handled (the database hangs)."""
    bot = BotProcess(bot_env(api, store.url), tmp_path / "bot.log")
    a, b = TelegramUser(api, CHAT_A, timeout=60), TelegramUser(api, CHAT_B, timeout=60)

    async def in_flight(b_presses: str, b_replies: tuple[str, ...]) -> None:
        fault = api.inject("sendMessage", "hang", times=1,
                           when=lambda c: c.params["chat_id"] == CHAT_A)  # fmt: skip
        await a.say("/menu", *MENU, wait=False)
        assert await api.wait_until(lambda: fault.hits == 1, 30)  # A's reply is on its way
        await store.hang()
        uid = await b.press(b_presses, *b_replies, wait=False)
        assert await api.wait_until(lambda: uid in api.delivered_updates, 30)
        await asyncio.sleep(1.0)  # B's update is in its handler, held by the database

    async def answered() -> None:
        """Every reply arrived and is marked sent: nothing in flight before the next fault."""
        for user in (a, b):
            await user.settle()
        await store.settled()

    try:
        await bot.start()
        for user in (a, b):
            await user.say("/start", *WELCOME)
            await user.press("consent:agree", *AGREED)
        await answered()

        # kill -9: no warning at all
        await in_flight("menu:eligibility", ("diputus oleh perusahaan",))
        await bot.kill()
        api.release()
        await store.up()
        await bot.start()
        await answered()  # B's update came again; A's reply went once its claim expired

        # SIGTERM: finish what is in hand (the database is back within the grace period)
        await in_flight("laid_off:yes", ("alasan",))
        stopping = asyncio.create_task(bot.terminate())
        await asyncio.sleep(1.0)
        await store.up()
        assert await stopping == 0
        api.release()
        await bot.start()
        await answered()

        assert await bot.terminate() == 0
        for user in (a, b):
            user.check()  # nothing came late
        assert_clean_log(bot.output())
    finally:
        await bot.stop()
