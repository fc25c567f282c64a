"""PostgreSQL connections in the pool: pinged at checkout only after sitting idle, and one
the server dropped meanwhile is replaced before a transaction uses it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import make_engine

# PostgreSQL's pool only (SQLite's connections are files: nothing to ping)
pytestmark = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(db_url, ping_idle_after=0.3)
    yield engine
    await engine.dispose()


@pytest.fixture
def pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        seen.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


async def backend(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_in_steady_use_is_not_pinged(
    engine: AsyncEngine, pings: list[Any]
) -> None:
    first = await backend(engine)
    for _ in range(20):
        assert await backend(engine) == first  # the same pooled connection
    assert pings == []


async def test_an_idle_connection_the_server_dropped_is_replaced(
    engine: AsyncEngine, pings: list[Any], db_url: str
) -> None:
    dropped = await backend(engine)
    other = make_engine(db_url)
    try:
        async with other.connect() as conn:  # the server ends it while it sits in the pool
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    finally:
        await other.dispose()
    await asyncio.sleep(0.4)
    fresh = await backend(engine)  # no error: found by the ping, replaced
    assert fresh != dropped
    assert len(pings) == 1
