"""End to end: the real `jkp-bot run` process against the fake Bot API over HTTP.

Walks the eligibility check by long polling, kills the process with SIGKILL in the middle,
starts it again and continues at the same question, checking the exact sequence of replies
(nothing lost, nothing twice but the one message that may have been in flight at the kill);
then the webhook mode with its secret.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.testing.fake_bot_api import FakeBotAPI, text_update
from bot.testing.process import BotProcess, bot_env, command, free_port
from bot.testing.telegram_user import TelegramUser

CHAT = 777001


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


async def test_polling_walkthrough_survives_kill_9(api: FakeBotAPI, tmp_path: Path) -> None:
    env = bot_env(api, f"sqlite:///{tmp_path / 'jkp.sqlite3'}")
    bot = BotProcess(env, tmp_path / "bot.log")
    await bot.start()
    try:
        user = TelegramUser(api, CHAT)
        await user.say("/start", "selamat datang di Pendamping JKP", "setuju")
        await user.press("consent:agree", "Persetujuan Anda sudah dicatat",
                         "Apa yang ingin Anda lakukan?")  # fmt: skip
        await user.press("menu:eligibility", "diputus oleh perusahaan")
        await user.press("laid_off:yes", "alasan")
        await user.press("reason:employer", "Warga Negara")
        await user.press("citizen:yes", "54 tahun")
        await user.press("age_ok:yes", "perjanjian kerja")
        await user.press("contract:pkwtt", "Tanggal berapa")
        phk = date.today() - timedelta(days=40)
        await user.say(phk.strftime("%d-%m-%Y"), "Pengadilan Hubungan Industrial")

        await bot.kill()  # mid-dialog, without warning
        user.may_repeat_last()
        await bot.start()

        await user.say("/start", "Pengadilan Hubungan Industrial")  # the same question
        await user.press("phi_pending:no", "surat bukti PHK")
        await user.press("proof_letter:yes", "bersedia bekerja")
        await user.press("willing:yes", "BPJS Kesehatan")
        await user.press("member:yes", "24 bulan sebelum PHK")
        await user.say("20", "berturut-turut")
        await user.say("10", "memenuhi syarat", "perkiraan manfaat")
        await user.press("result:estimate", "upah terakhir")
        await user.say("4,5 juta", "Rp2.700.000 per bulan", "perkiraan manfaat")
        assert api.calls_of("answerCallbackQuery")
        assert api.calls_of("editMessageText")
        assert api.calls_of("setMyCommands")
        assert await bot.terminate() == 0
        user.check()  # nothing came late
        assert "Traceback" not in bot.output()
    finally:
        await bot.stop()


async def test_webhook_checks_the_secret(api: FakeBotAPI, tmp_path: Path) -> None:
    port = free_port()
    secret = "s3cret-token_for-tests"
    env = bot_env(
        api,
        f"sqlite:///{tmp_path / 'jkp.sqlite3'}",
        WEBHOOK_URL=f"http://127.0.0.1:{port}/tg-hook",
        WEBHOOK_SECRET=secret,
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
    )
    bot = BotProcess(env, tmp_path / "bot.log")
    await bot.start()
    try:
        (hook,) = await api.wait_for("setWebhook", timeout=30)
        assert hook.params["url"] == f"http://127.0.0.1:{port}/tg-hook"
        assert hook.params["secret_token"] == secret
        update = {**text_update(CHAT, "/start"), "update_id": 5}
        url = f"http://127.0.0.1:{port}/tg-hook"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update) as r:
                assert r.status == 401
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as r:
                assert r.status == 401
            assert not api.calls_of("sendMessage")
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
            ) as r:
                assert r.status == 200
        calls = await api.wait_for("sendMessage", count=2, timeout=30)
        assert "Pendamping JKP" in calls[0].params["text"]
        assert not api.calls_of("getUpdates")  # webhook mode does not poll
        assert await bot.terminate() == 0
        assert "Traceback" not in bot.output()
    finally:
        await bot.stop()


def test_run_without_token_explains(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    done = subprocess.run(command("run"), env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in done.stderr
