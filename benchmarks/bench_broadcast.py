"""A monthly broadcast (issue 10): N beneficiaries whose benefit month 2 starts today, one
monthly sweep, then the Telegram sender draining against a local fake Bot API that answers
in 50-150 ms, allows 30 messages a second and answers 429 beyond. A script, not a test: it
prints, it never asserts on time.

1. **Enqueue**: the sweep (scheduler/monthly.py, in this process) over N persons: time until
   every message is in the outbox.
2. **Rate**: the real ``OutboxSender`` (TELEGRAM_PER_SECOND, 25 by default) for a fixed
   window (``--window``, 60 s: sending 100,000 at 25/s takes ~67 minutes): messages the fake
   accepted per second, as a fraction of the configured limit; 429s received.
3. **kill -9** (a smaller ``--kill-persons``, its own database): the real ``jkp-bot
   scheduler`` catches the sweep up and drains; it is killed halfway, started again, and
   every chat is checked: lost (no message) and duplicated (more than one), and how many of
   the duplicates were in flight at the kill (requested, not yet marked sent).

    python benchmarks/bench_broadcast.py                      # 100,000, PostgreSQL
    python benchmarks/bench_broadcast.py --persons 5000 --window 20 --kill-persons 500
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.channels.telegram_delivery import telegram_sender
from bot.settings import Settings
from bot.storage.models import OutboxMessage, table
from bot.testing.beneficiaries import month_two_start, populate
from bot.testing.fake_bot_api import FakeBotAPI, _ApiError
from bot.testing.process import TEST_KEY, BotProcess, bot_env

PG = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ALL_DAY = (0, 24 * 60)


class SlowLimitedBotAPI(FakeBotAPI):
    """sendMessage answers in 50-150 ms; more than ``limit`` in any second gets a 429."""

    def __init__(self, limit: int = 30, seed: int = 1) -> None:
        super().__init__()
        self.limit = limit
        self.rng = random.Random(seed)
        self.window: deque[float] = deque()
        self.accepted = 0
        self.too_many = 0

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        now = time.monotonic()
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        if len(self.window) >= self.limit:
            self.too_many += 1
            raise _ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self.window.append(now)
        await asyncio.sleep(self.rng.uniform(0.05, 0.15))
        self.accepted += 1
        return await super()._send_message(params)


async def pending(app: App) -> int:
    box = table(OutboxMessage)
    async with app.db.read() as conn:
        stmt = select(func.count()).select_from(box).where(box.c.status != "sent")
        return int(await conn.scalar(stmt) or 0)


async def unsent_chats(app: App) -> set[int]:
    box = table(OutboxMessage)
    async with app.db.read() as conn:
        rows = await conn.execute(select(box.c.address).where(box.c.status != "sent"))
        return {int(r.address) for r in rows}


def settings_for(url: str, api: FakeBotAPI, files: str) -> Settings:
    base = Settings()
    return replace(
        base, database_url=url, encryption_keys=TEST_KEY, telegram_token=api.token,
        telegram_api_base=api.base_url, monthly_hours=ALL_DAY,
        evidence=replace(base.evidence, directory=files),
    )  # fmt: skip


class Database:
    """A fresh database: a PostgreSQL one created and dropped, or a SQLite file."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.name = f"jkp_bench_{uuid.uuid4().hex[:10]}"
        self.tmp = tempfile.mkdtemp(prefix="jkp-bench-broadcast-")

    async def __aenter__(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{Path(self.tmp) / 'broadcast.sqlite3'}"
        admin = await asyncpg.connect(PG)
        try:
            await admin.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await admin.close()
        return PG.rsplit("/", 1)[0] + f"/{self.name}"

    async def __aexit__(self, *exc: object) -> None:
        if self.kind == "postgres":
            admin = await asyncpg.connect(PG)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            finally:
                await admin.close()


async def enqueue_and_rate(kind: str, persons: int, window: float) -> dict[str, float]:
    async with SlowLimitedBotAPI() as api, Database(kind) as url:
        settings = settings_for(url, api, tempfile.mkdtemp(prefix="jkp-bench-files-"))
        app = await build_app(settings)
        try:
            t0 = time.perf_counter()
            await populate(app, persons, start=month_two_start())
            await analyze(app)
            load = time.perf_counter() - t0
            t0 = time.perf_counter()
            queued = await run_sweep(app)
            enqueue = time.perf_counter() - t0
            print(f"  {persons:,} persons loaded in {load:.1f} s; sweep queued {queued:,} "
                  f"messages in {enqueue:.1f} s", file=sys.stderr)  # fmt: skip
            sender, bot = telegram_sender(app)
            stop = asyncio.Event()
            task = asyncio.create_task(sender.run(stop))
            await asyncio.sleep(2.0)  # warm-up: connections, the first claims
            accepted0, t0 = api.accepted, time.perf_counter()
            await asyncio.sleep(window)
            accepted, elapsed = api.accepted - accepted0, time.perf_counter() - t0
            stop.set()
            await task
            await bot.session.close()
            rate = accepted / elapsed
            return {
                "persons": persons, "queued": queued, "enqueue_s": enqueue,
                "rate": rate, "limit": settings.telegram_per_second,
                "fraction": rate / settings.telegram_per_second, "429": api.too_many,
                "window_s": elapsed,
            }  # fmt: skip
        finally:
            await app.close()


async def analyze(app: App) -> None:
    """As autovacuum (PostgreSQL) or the daily purge's PRAGMA optimize would."""
    async with app.db.engine.connect() as conn:
        await conn.exec_driver_sql("ANALYZE")
        await conn.commit()


async def run_sweep(app: App) -> int:
    from scheduler.monthly import monthly_sweep

    return await monthly_sweep(app, datetime.now(UTC))


async def kill_and_restart(kind: str, persons: int) -> dict[str, int]:
    async with SlowLimitedBotAPI() as api, Database(kind) as url:
        files = tempfile.mkdtemp(prefix="jkp-bench-files-")
        app = await build_app(settings_for(url, api, files))
        log = Path(tempfile.mkdtemp(prefix="jkp-bench-log-")) / "scheduler.log"
        proc: BotProcess | None = None
        try:
            chats = await populate(app, persons, start=month_two_start(), first_chat=500_000)
            await analyze(app)
            env = bot_env(api, url, DATA_ENCRYPTION_KEY=TEST_KEY, EVIDENCE_DIR=files,
                          MONTHLY_UPDATE_HOURS="00:00-24:00",
                          OUTBOX_LEASE_SECONDS="10")  # fmt: skip
            proc = BotProcess(env, log, "scheduler")
            await proc.start()
            await api.wait_until(lambda: api.accepted >= persons // 2, 600)
            await proc.kill()
            # in flight: the request reached the fake (it answers 50-150 ms later), the row
            # is not marked sent
            arrived = {int(c.params["chat_id"]) for c in api.calls_of("sendMessage")}
            in_flight = arrived & await unsent_chats(app)
            await proc.start()
            await api.wait_until(lambda: set(_accepted_chats(api)) >= set(chats), 1200)
            while await pending(app):  # noqa: ASYNC110 - another process writes the rows
                await asyncio.sleep(0.2)
            await proc.terminate()
            counts = Counter(_accepted_chats(api))
            twice = {c for c, n in counts.items() if n > 1}
            return {
                "persons": persons, "lost": len(set(chats) - set(counts)),
                "duplicates": sum(n - 1 for n in counts.values()),
                "duplicates_in_flight": len(twice & in_flight), "in_flight": len(in_flight),
                "429": api.too_many,
            }  # fmt: skip
        finally:
            if proc is not None:
                await proc.stop()
            await app.close()


def _accepted_chats(api: SlowLimitedBotAPI) -> list[int]:
    """The chat of every accepted message (the fake keeps what it delivered per chat)."""
    return [chat for chat, texts in api._sent_texts.items() for _ in texts]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds of sending measured")
    parser.add_argument("--kill-persons", type=int, default=2000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    args = parser.parse_args()
    r = await enqueue_and_rate(args.db, args.persons, args.window)
    print("| DB | persons | time to enqueue | send rate | of the limit | 429s |")
    print("|---|---|---|---|---|---|")
    print(f"| {args.db} | {r['persons']:,} | {r['enqueue_s']:.0f} s "
          f"({r['queued'] / r['enqueue_s']:.0f}/s) | {r['rate']:.2f}/s over "
          f"{r['window_s']:.0f} s | {r['fraction']:.3f} of {r['limit']:.0f}/s | "
          f"{r['429']:.0f} |")  # fmt: skip
    k = await kill_and_restart(args.db, args.kill_persons)
    print()
    print(
        "| DB | persons | kill -9 halfway, restart: lost | duplicates | of which in flight "
        "at the kill | 429s |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.db} | {k['persons']:,} | {k['lost']} | {k['duplicates']} | "
        f"{k['duplicates_in_flight']} (of {k['in_flight']} in flight) | {k['429']} |"
    )


if __name__ == "__main__":
    asyncio.run(main())
