"""``jkp-bot scheduler`` killed with SIGKILL halfway: after a restart (or with a second
scheduler on the same PostgreSQL), every due monthly message reaches its chat, and only
messages that were in flight at the kill may arrive twice. The real command as a process,
against the fake Bot API as a real HTTP server (each request made slow, so the kill lands
in the middle of the drain); the monthly sweep is the process's own, caught up at start."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.settings import Settings
from bot.storage.models import OutboxMessage, table
from bot.testing.beneficiaries import month_two_start, populate
from bot.testing.fake_bot_api import FakeBotAPI
from bot.testing.process import TEST_KEY, BotProcess, assert_clean_log, bot_env

N = 150
FIRST_CHAT = 700_000


def scheduler_env(api: FakeBotAPI, url: str) -> dict[str, str]:
    return bot_env(api, url.replace("postgresql+asyncpg://", "postgresql://"),
                   DATA_ENCRYPTION_KEY=TEST_KEY, MONTHLY_UPDATE_HOURS="00:00-24:00",
                   TELEGRAM_PER_SECOND="25")  # fmt: skip


def sent_to(api: FakeBotAPI) -> Counter[int]:
    return Counter(int(c.params["chat_id"]) for c in api.calls_of("sendMessage"))


async def unsent_chats(app: App) -> set[int]:
    """Chats whose message is still queued (not marked sent)."""
    box = table(OutboxMessage)
    async with app.db.read() as conn:
        rows = await conn.execute(select(box.c.address).where(box.c.status != "sent"))
        return {int(r.address) for r in rows}


async def everything_sent(app: App, api: FakeBotAPI, chats: list[int]) -> None:
    assert await api.wait_until(lambda: set(sent_to(api)) >= set(chats), 120), (
        f"{len(set(chats) - set(sent_to(api)))} chat(s) never got their message"
    )
    for _ in range(600):  # the last "sent" marks follow the requests
        if not await unsent_chats(app):
            return
        await api.wait_until(lambda: False, 0.1)
    raise AssertionError("messages left unsent")


@pytest.fixture
async def scheduler_app(settings: Settings) -> AsyncIterator[App]:
    app = await build_app(replace(settings, encryption_keys=TEST_KEY))
    try:
        yield app
    finally:
        await app.close()


async def test_kill_9_halfway_through_draining_then_restart(
    scheduler_app: App, api: FakeBotAPI, tmp_path: Path
) -> None:
    app = scheduler_app
    chats = await populate(app, N, start=month_two_start(), first_chat=FIRST_CHAT)
    api.inject("sendMessage", "delay", seconds=0.05)
    env = scheduler_env(api, app.settings.database_url)
    proc = BotProcess(env, tmp_path / "scheduler.log", "scheduler")
    try:
        await proc.start()
        assert await api.wait_until(lambda: sum(sent_to(api).values()) >= N // 2, 90)
        await proc.kill()
        at_kill = sent_to(api)
        in_flight = set(at_kill) & await unsent_chats(app)  # requested, not marked sent
        assert 0 < len(at_kill) < N  # halfway indeed

        await proc.start()
        await everything_sent(app, api, chats)
        assert await proc.terminate() == 0
        counts = sent_to(api)
        assert set(counts) == set(chats)  # none lost
        twice = {chat for chat, n in counts.items() if n > 1}
        assert twice <= in_flight  # none sent twice beyond the ones in flight
        assert all(n <= 2 for n in counts.values())
        assert not api.calls_of("getUpdates") and not api.calls_of("setWebhook")  # sends only
        assert_clean_log(proc.output())
    finally:
        await proc.stop()


async def test_two_schedulers_one_killed(
    scheduler_app: App, api: FakeBotAPI, tmp_path: Path
) -> None:
    app = scheduler_app
    if app.db.sqlite:
        pytest.skip("several schedulers share a PostgreSQL database (SQLite: one machine)")
    chats = await populate(app, N, start=month_two_start(), first_chat=FIRST_CHAT)
    api.inject("sendMessage", "delay", seconds=0.05)
    env = scheduler_env(api, app.settings.database_url)
    a = BotProcess(env, tmp_path / "a.log", "scheduler")
    b = BotProcess(env, tmp_path / "b.log", "scheduler")
    try:
        await a.start()
        await b.start()  # both catch up the sweep at once, both drain
        assert await api.wait_until(lambda: sum(sent_to(api).values()) >= N // 2, 90)
        await a.kill()
        at_kill = sent_to(api)
        in_flight = set(at_kill) & await unsent_chats(app)
        await everything_sent(app, api, chats)  # b alone, a's claims once they expire
        assert await b.terminate() == 0
        counts = sent_to(api)
        assert set(counts) == set(chats)
        assert {chat for chat, n in counts.items() if n > 1} <= in_flight
        assert_clean_log(b.output())
    finally:
        await a.stop()
        await b.stop()


def test_the_scheduler_does_not_load_the_telegram_runtime(tmp_path: Path) -> None:
    """What ``jkp-bot scheduler`` builds (the app, the Telegram sender, the jobs) leaves the
    receiving side (dispatcher wiring, polling, webhooks) unloaded: SMS will use it too."""
    script = f"""
import asyncio, sys
from dataclasses import replace
from bot.app import build_app
from bot.settings import Settings
from bot.channels.telegram_delivery import telegram_sender
from scheduler.runner import SchedulerRuntime

async def main():
    settings = replace(Settings(), database_url="sqlite:///{tmp_path / "s.sqlite3"}",
                       telegram_token="1:x")
    app = await build_app(settings)
    sender, bot = telegram_sender(app)
    runtime = SchedulerRuntime(app, [sender])
    assert runtime.jobs.get_job("monthly-updates") is not None
    await bot.session.close()
    await app.close()
    loaded = sorted(m for m in sys.modules
                    if m in ("bot.channels.telegram", "bot.channels.polling",
                             "bot.counseling.runtime"))
    print(loaded)

asyncio.run(main())
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=True)  # fmt: skip
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
