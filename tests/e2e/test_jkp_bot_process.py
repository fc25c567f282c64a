"""End to end: the real `jkp-bot run` process against the fake Bot API over HTTP.

Walks the eligibility check by long polling, kills the process with SIGKILL in the middle,
starts it again and continues at the same question; then the webhook mode with its secret.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.testing.fake_bot_api import FakeBotAPI, callback_update, text_update

CHAT = 777001


def command() -> list[str]:
    exe = shutil.which("jkp-bot")
    return [exe, "run"] if exe else [sys.executable, "-m", "bot.cli", "run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BotProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.out = self.log.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            *command(), env=self.env, stdout=self.out, stderr=self.out
        )

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no clean shutdown
        await self.proc.wait()
        self.out.close()

    async def stop(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if not self.out.closed:
            self.out.close()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


def bot_env(api: FakeBotAPI, db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE=api.base_url,
        DATABASE_URL=f"sqlite:///{db}",
        LOG_LEVEL="INFO",
        OUTBOX_LEASE_SECONDS="5",  # a claim of the killed process expires quickly
        **extra,
    )
    return env


class User:
    """A Telegram user talking to the bot through the fake server."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api

    def _sent(self) -> list[dict[str, Any]]:
        return [c.params for c in self.api.calls_of("sendMessage") if c.params["chat_id"] == CHAT]

    def _count(self) -> int:
        return len(self._sent())

    async def _expect(self, before: int, n: int, contains: str) -> dict[str, Any]:
        """Wait for the ``n`` replies to arrive, the last one containing ``contains``.

        Delivery is at least once: a message sent just before a SIGKILL may be sent again
        after the restart, so the reply is looked for among everything sent since.
        """
        await self.api.wait_for(
            "sendMessage",
            count=before + n,
            timeout=30,
            predicate=lambda c: c.params["chat_id"] == CHAT,
        )
        for _ in range(300):
            new = self._sent()[before:]
            if any(contains in p["text"] for p in new):
                return next(p for p in reversed(new) if contains in p["text"])
            await asyncio.sleep(0.1)
        raise AssertionError(f"no reply containing {contains!r}; got {[p['text'] for p in new]}")

    async def say(self, text: str, n: int, contains: str) -> dict[str, Any]:
        before = self._count()
        self.api.push_update(text_update(CHAT, text))
        return await self._expect(before, n, contains)

    async def press(self, data: str, n: int, contains: str) -> dict[str, Any]:
        before = self._count()
        last = [c for c in self.api.calls_of("sendMessage") if c.params["chat_id"] == CHAT][-1]
        markup = last.params["reply_markup"]
        assert data in [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
        self.api.push_update(
            callback_update(
                CHAT, data, message_id=1, message_text=last.params["text"], reply_markup=markup
            )
        )
        return await self._expect(before, n, contains)


async def test_polling_walkthrough_survives_kill_9(api: FakeBotAPI, tmp_path: Path) -> None:
    env = bot_env(api, tmp_path / "jkp.sqlite3")
    bot = BotProcess(env, tmp_path / "bot.log")
    await bot.start()
    try:
        user = User(api)
        await user.say("/start", 2, "setuju")
        await user.press("consent:agree", 2, "Apa yang ingin Anda lakukan?")
        await user.press("menu:eligibility", 1, "diputus oleh perusahaan")
        await user.press("laid_off:yes", 1, "alasan")
        await user.press("reason:employer", 1, "Warga Negara")
        await user.press("citizen:yes", 1, "54 tahun")
        await user.press("age_ok:yes", 1, "perjanjian kerja")
        await user.press("contract:pkwtt", 1, "Tanggal berapa")
        phk = date.today() - timedelta(days=40)
        await user.say(phk.strftime("%d-%m-%Y"), 1, "Pengadilan Hubungan Industrial")

        await bot.kill()  # mid-dialog, without warning
        await bot.start()

        await user.say("/start", 1, "Pengadilan Hubungan Industrial")  # same question
        await user.press("phi_pending:no", 1, "surat bukti PHK")
        await user.press("proof_letter:yes", 1, "bersedia bekerja")
        await user.press("willing:yes", 1, "BPJS Kesehatan")
        await user.press("member:yes", 1, "24 bulan sebelum PHK")
        await user.say("20", 1, "berturut-turut")
        await user.say("10", 2, "perkiraan manfaat")
        texts = api.sent_texts(CHAT)
        assert any("memenuhi syarat" in t for t in texts)
        await user.press("result:estimate", 1, "upah terakhir")
        await user.say("4,5 juta", 2, "perkiraan manfaat")
        assert any("Rp2.700.000 per bulan" in t for t in api.sent_texts(CHAT))
        assert api.calls_of("answerCallbackQuery")
        assert api.calls_of("editMessageText")
        assert api.calls_of("setMyCommands")
    finally:
        await bot.stop()


async def test_webhook_checks_the_secret(api: FakeBotAPI, tmp_path: Path) -> None:
    port = free_port()
    secret = "s3cret-token_for-tests"
    env = bot_env(
        api,
        tmp_path / "jkp.sqlite3",
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
    finally:
        await bot.stop()


def test_run_without_token_explains(tmp_path: Path) -> None:
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    done = subprocess.run(command(), env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in done.stderr
