"""Fault injection: the database under test with an outage switch (SQLite and PostgreSQL,
see bot/testing/outage.py), the fake Bot API, and checks on process logs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.testing.fake_bot_api import FakeBotAPI
from bot.testing.outage import Store
from bot.testing.tcp_proxy import TcpProxy

PG_HOST, PG_PORT = "127.0.0.1", 5432


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    if db_url.startswith("sqlite"):
        yield Store(db_url, db_url)
        return
    async with TcpProxy(PG_HOST, PG_PORT) as proxy:
        bot_url = db_url.replace("postgresql+asyncpg://", "postgresql://").replace(
            f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{proxy.port}"
        )
        s = Store(bot_url, db_url, proxy)
        try:
            yield s
        finally:
            await s.up()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server
