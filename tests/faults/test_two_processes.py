"""Two `jkp-bot run` processes (webhook mode, each with its own outbox sender) on one
database: people write to either, and every reply is delivered exactly once, in order per
chat (issue 6 item 4: before claims, every message went out twice)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.testing.fake_bot_api import FakeBotAPI
from bot.testing.outage import Store
from bot.testing.process import BotProcess, assert_clean_log, bot_env, free_port
from bot.testing.telegram_user import TelegramUser

SECRET = "two-processes_0123456789"
WELCOME = ("selamat datang di Pendamping JKP", "UU 27/2022")
AGREED = ("Persetujuan Anda sudah dicatat", "Apa yang ingin Anda lakukan?")
MENU = ("Apa yang ingin Anda lakukan?",)


async def test_two_processes_send_each_reply_once(
    api: FakeBotAPI, store: Store, tmp_path: Path
) -> None:
    api.inject("sendMessage", "delay", seconds=0.03)  # sends overlap between the processes
    processes, hooks = [], []
    for name in ("one", "two"):
        port = free_port()
        hooks.append(f"http://127.0.0.1:{port}/tg")
        env = bot_env(api, store.url, WEBHOOK_URL=hooks[-1], WEBHOOK_SECRET=SECRET,
                      WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=str(port))  # fmt: skip
        processes.append(BotProcess(env, tmp_path / f"{name}.log"))
    try:
        for process in processes:  # one after the other: the first creates the schema
            await process.start()
            await process.wait_for_log("webhook on")

        async def talk(chat: int) -> TelegramUser:
            one = TelegramUser(api, chat, webhook=hooks[0], secret=SECRET, timeout=60)
            two = TelegramUser(api, chat, webhook=hooks[1], secret=SECRET, timeout=60)
            await one.say("/start", wait=False)
            await two.say("setuju", wait=False)  # the next message reaches the other process
            await one.say("/menu", wait=False)
            one.expected = [*WELCOME, *AGREED, *MENU]
            return one

        users = await asyncio.gather(*(talk(9400 + i) for i in range(10)))
        for user in users:
            await user.settle()
        await store.settled()
        for process in processes:
            assert await process.terminate() == 0
        for user in users:
            user.check()  # nothing came twice, late
        assert_clean_log(*(p.output() for p in processes))
    finally:
        for process in processes:
            await process.stop()
