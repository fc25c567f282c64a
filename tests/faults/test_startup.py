"""`jkp-bot run` while Telegram cannot be reached: it waits with one clear line per try (no
traceback, no "Unclosed client session"), starts working once Telegram answers, and a
SIGTERM while it waits ends it cleanly (exit code 0)."""

from __future__ import annotations

from pathlib import Path

from bot.testing.fake_bot_api import FakeBotAPI
from bot.testing.process import BotProcess, assert_clean_log, bot_env, free_port
from bot.testing.telegram_user import TelegramUser


async def test_waits_for_telegram_then_works(api: FakeBotAPI, tmp_path: Path) -> None:
    api.inject("getMe", "drop")  # connections die without an answer
    bot = BotProcess(bot_env(api, f"sqlite:///{tmp_path / 'jkp.sqlite3'}"), tmp_path / "bot.log")
    try:
        await bot.start()
        await bot.wait_for_log(r"(?s)not reachable \(getMe.*not reachable \(getMe")
        api.clear_faults()
        await bot.wait_for_log("polling for updates")
        await TelegramUser(api, 9501).say("/start", "Pendamping JKP", "UU 27/2022")
        assert await bot.terminate() == 0
        assert_clean_log(bot.output())
    finally:
        await bot.stop()


async def test_sigterm_while_telegram_is_unreachable(api: FakeBotAPI, tmp_path: Path) -> None:
    env = bot_env(api, f"sqlite:///{tmp_path / 'jkp.sqlite3'}")
    env["TELEGRAM_API_BASE"] = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    bot = BotProcess(env, tmp_path / "bot.log")
    try:
        await bot.start()
        await bot.wait_for_log(r"Telegram is not reachable \(getMe: .*\); trying again in")
        assert await bot.terminate() == 0
        assert "stopped while waiting for Telegram" in bot.output()
        assert_clean_log(bot.output())
    finally:
        await bot.stop()
