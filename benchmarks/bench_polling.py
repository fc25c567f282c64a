"""Benchmark long polling: our UpdatePoller (confirms an update only once stored) against
aiogram's ``start_polling`` (confirms it as soon as it is fetched), same dispatcher, engine,
database and sender, against the fake Bot API over HTTP.

    python benchmarks/bench_polling.py [--chats 50] [--turns 4] [--db sqlite|postgres]

C chats each write T messages (/start, setuju, /menu, /bantuan), all pushed at once; the
run ends when every reply has been delivered. Reported: updates handled per second, and
the time from the push to the last reply. A script, not a test: it checks that every chat
got exactly its replies (FAIL and exit code 1 otherwise), never asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build_app
from bot.channels.telegram import ALLOWED_UPDATES, TelegramRuntime
from bot.settings import Settings
from bot.testing.fake_bot_api import FakeBotAPI, text_update

TEXTS = ("/start", "setuju", "/menu", "/bantuan")
REPLIES = (2, 2, 1, 1)
KEY = "vH0cPzM5y2mQk5y7sLwP1oVb0m2n0lq0Yt8Tq3wC6xU="


async def run(mode: str, chats: int, turns: int, db_url: str) -> tuple[float, int]:
    async with FakeBotAPI() as api:
        settings = replace(
            Settings(), database_url=db_url, encryption_keys=KEY, telegram_token=api.token,
            telegram_api_base=api.base_url, telegram_chat_interval=0, telegram_per_second=1000,
        )  # fmt: skip
        app = await build_app(settings)
        rt = TelegramRuntime(app)
        stop = asyncio.Event()
        sender = asyncio.create_task(rt.sender.run(stop))
        if mode == "ours":
            polling = asyncio.create_task(rt.poller.run(stop))
        else:
            polling = asyncio.create_task(
                rt.dp.start_polling(rt.bot, handle_signals=False, close_bot_session=False,
                                    allowed_updates=ALLOWED_UPDATES, polling_timeout=1)
            )  # fmt: skip
        ids = [7_000_000 + i for i in range(chats)]
        expected = sum(REPLIES[:turns])
        began = time.perf_counter()
        for turn in range(turns):
            for chat in ids:
                api.push_update(text_update(chat, TEXTS[turn]))
        done = await api.wait_until(
            lambda: all(len(api.messages_to(c)) >= expected for c in ids), 600
        )
        elapsed = time.perf_counter() - began
        bad = [c for c in ids if len(api.messages_to(c)) != expected]
        stop.set()
        if mode != "ours":
            await rt.dp.stop_polling()
        await asyncio.gather(polling, sender)
        await rt.bot.session.close()
        await app.close()
        if not done or bad:
            print(f"FAIL {mode}: {len(bad)} chats without exactly {expected} replies")
            return elapsed, 1
        return elapsed, 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--turns", type=int, default=4, choices=range(1, 5))
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    failed = 0
    for mode in ("ours", "aiogram"):
        with tempfile.TemporaryDirectory() as tmp:
            name = ""
            if args.db == "sqlite":
                url = f"sqlite:///{tmp}/bench.sqlite3"
            else:
                name = f"jkp_bench_{uuid.uuid4().hex[:8]}"
                asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
                url = f"{PG_SERVER}/{name}"
            try:
                elapsed, bad = asyncio.run(run(mode, args.chats, args.turns, url))
            finally:
                if name:
                    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        failed += bad
        updates = args.chats * args.turns
        print(f"{mode:8} {args.db}: {updates} updates from {args.chats} chats in "
              f"{elapsed:.2f} s = {updates / elapsed:.0f} updates/s")  # fmt: skip
    return 1 if failed else 0


PG_SERVER = os.environ.get("BENCH_POSTGRES_SERVER", "postgresql://postgres@127.0.0.1:5432")


async def _pg_admin(sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(main())
