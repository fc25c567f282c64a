"""The SQLite driver: statements, commits and rollbacks in the event loop's thread (no trip
to aiosqlite's), with everything a DBAPI cursor gives (rows, rowcount, lastrowid,
RETURNING, executemany, SQLite's own errors), and another process's lock waited for in the
loop, never in it."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import SQLITE_BUSY, make_engine, read_only
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


async def test_statements_commits_and_rollbacks_make_no_trip(
    engine: AsyncEngine, trips: list[str]
) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, aiosqlite.Connection)
        trips.clear()
        async with conn.begin():
            rows = (await conn.execute(text("SELECT 1 UNION SELECT 2"))).all()
            assert rows == [(1,), (2,)]
            await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        async with conn.begin() as transaction:
            await conn.execute(text("INSERT INTO t (name) VALUES ('b')"))
            await transaction.rollback()
        assert trips == []  # stock: cursor, execute, fetchall, close: four trips a statement
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT name FROM t"))).scalars().all() == ["a"]


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


async def test_another_process_lock_is_waited_for_in_the_loop(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """``BEGIN IMMEDIATE`` while another process writes: the statement is tried again after
    back-offs while the event loop goes on (a ticker runs meanwhile), and goes through once
    the lock is released, well before the busy timeout."""
    other = sqlite3.connect(tmp_path / "driver.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def release() -> None:
        await asyncio.sleep(0.3)
        other.execute("ROLLBACK")

    running = asyncio.create_task(ticker())
    releasing = asyncio.create_task(release())
    try:
        started = time.monotonic()
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('waited')"))
        waited = time.monotonic() - started
    finally:
        running.cancel()
        await releasing
        other.close()
    assert 0.25 <= waited < 4  # (busy timeout: 5 s)
    assert ticks >= 10  # the loop was never blocked while waiting
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT name FROM t"))).scalars().all() == ["waited"]


async def test_inside_a_transaction_busy_is_raised_at_once(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """A deferred transaction that has read cannot start writing while another process
    writes: SQLite says so at once, and so does the driver (the turn computes again,
    bot/storage/db.py ``WriteConflict``), instead of waiting out the busy timeout."""
    other = sqlite3.connect(tmp_path / "driver.sqlite3", isolation_level=None)
    try:
        started = time.monotonic()
        with pytest.raises(exc.OperationalError) as raised:
            async with read_only(engine) as conn:
                await conn.execute(text("SELECT count(*) FROM t"))
                other.execute("BEGIN IMMEDIATE")
                await conn.execute(text("INSERT INTO t (name) VALUES ('late')"))
        assert time.monotonic() - started < 1
        assert getattr(raised.value.orig, "sqlite_errorcode", None) == SQLITE_BUSY
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
