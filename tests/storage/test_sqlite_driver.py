"""The SQLite driver: one trip to aiosqlite's thread per statement, with everything a DBAPI
cursor gives (rows, rowcount, lastrowid, RETURNING, executemany, SQLite's own errors)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import SQLITE_BUSY, make_engine
from bot.storage.sqlite_driver import OneTripCursor


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'driver.sqlite3'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every function sent to aiosqlite's thread, by name."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


async def test_a_statement_is_one_trip_to_the_thread(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.connect() as conn, conn.begin():
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, aiosqlite.Connection)
        trips.clear()
        rows = (await conn.execute(text("SELECT 1 UNION SELECT 2"))).all()
        assert rows == [(1,), (2,)]
        assert trips == ["_run"]  # stock: cursor, execute, fetchall, close (four trips)
        await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert trips == ["_run", "_run"]


async def test_rows_rowcount_lastrowid_and_returning(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert first.lastrowid == 1 and first.rowcount == 1
        many = await conn.execute(
            text("INSERT INTO t (name) VALUES (:n)"), [{"n": "b"}, {"n": "c"}]
        )
        assert many.rowcount == 2
        back = await conn.execute(text("INSERT INTO t (name) VALUES ('d') RETURNING id, name"))
        assert back.all() == [(4, "d")]
        changed = await conn.execute(text("UPDATE t SET name = 'x' WHERE id IN (1, 2)"))
        assert changed.rowcount == 2
        nothing = await conn.execute(text("UPDATE t SET name = 'y' WHERE id = 99"))
        assert nothing.rowcount == 0
        assert (await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all() == [
            "x", "x", "c", "d",
        ]  # fmt: skip
        cursor = (await conn.get_raw_connection()).dbapi_connection.cursor()  # type: ignore[union-attr]
        assert isinstance(cursor, OneTripCursor)


async def test_sqlite_errors_keep_their_code(engine: AsyncEngine, tmp_path: Path) -> None:
    """The engine tells a write conflict by SQLite's error code (bot/storage/db.py)."""
    async with engine.begin() as conn:
        with pytest.raises(exc.IntegrityError):
            await conn.execute(text("INSERT INTO t (id, name) VALUES (1, 'a'), (1, 'b')"))
    other = sqlite3.connect(tmp_path / "driver.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        quick = make_engine(f"sqlite:///{tmp_path / 'driver.sqlite3'}", busy_timeout_ms=50)
        with pytest.raises(exc.OperationalError) as raised:
            async with quick.begin() as conn:
                await conn.execute(text("INSERT INTO t (name) VALUES ('z')"))
        assert getattr(raised.value.orig, "sqlite_errorcode", None) == SQLITE_BUSY
        await quick.dispose()
    finally:
        other.execute("ROLLBACK")
        other.close()
