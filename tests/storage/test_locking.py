"""Who holds the database, and for how long: pure routing runs outside any write lock, reads
never take SQLite's write lock, the purge commits in small batches, replicas can migrate an
empty database at the same time."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.app import App
from bot.core.conversation import Router
from bot.cv.model import CvQuery
from bot.storage.db import make_engine, migrate, sqlite_path
from bot.storage.models import Person
from bot.testing.client import ChatClient, consented
from bot.testing.clock import FrozenClock
from bot.testing.db import count
from scheduler.jobs import purge_inactive


def can_write_now(app: App) -> bool:
    """Whether another connection could take SQLite's write lock this very moment."""
    path = sqlite_path(app.settings.database_url)
    assert path is not None
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


async def test_routing_runs_outside_the_write_lock(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await consented(ChatClient(sqlite_app.engine))
    seen: list[bool] = []
    route = Router.route

    def spying(self: Router, *args: Any, **kwargs: Any) -> Any:
        seen.append(can_write_now(sqlite_app))
        return route(self, *args, **kwargs)

    monkeypatch.setattr(Router, "route", spying)
    await client.click("menu:assessment")
    await client.send("opertor produksi")  # fuzzy matching: the slow part of a turn
    assert seen and all(seen), seen


async def test_a_slow_query_is_answered_outside_the_turns_transaction(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CV (a photo download and a PDF, ``Query.slow``) is made before the turn's
    transaction, not inside it: no other process's writer waits for it."""
    client = await consented(ChatClient(sqlite_app.engine))
    seen: list[bool] = []
    services = sqlite_app.engine.services
    answer = services.answer

    async def spying(conn: Any, scope: Any, query: Any) -> Any:
        if isinstance(query, CvQuery):
            queue = sqlite_app.db._writers.get(asyncio.get_running_loop())  # this process's
            seen.append(can_write_now(sqlite_app) and not (queue and queue.locked()))
        return await answer(conn, scope, query)

    monkeypatch.setattr(services, "answer", spying)
    await client.click("menu:cv")
    assert seen == [True], seen


async def test_a_read_transaction_does_not_block_writers(sqlite_app: App) -> None:
    await consented(ChatClient(sqlite_app.engine))
    async with sqlite_app.db.read() as conn:
        await conn.exec_driver_sql("SELECT count(*) FROM persons")
        assert can_write_now(sqlite_app)  # a DATA request or an outbox poll in progress
    async with sqlite_app.db.write() as conn:
        await conn.exec_driver_sql("SELECT count(*) FROM persons")
        assert not can_write_now(sqlite_app)  # (the check itself can fail)


async def test_the_purge_commits_in_small_batches(sqlite_app: App) -> None:
    clock = sqlite_app.engine.clock
    assert isinstance(clock, FrozenClock)
    for i in range(12):
        await consented(ChatClient(sqlite_app.engine, user=f"old{i}"))
    clock.advance(days=sqlite_app.settings.retention_days + 1)
    await consented(ChatClient(sqlite_app.engine, user="recent"))
    commits: list[int] = []

    def on_commit(_: Any) -> None:
        commits.append(1)

    sync = sqlite_app.db.engine.sync_engine
    event.listen(sync, "commit", on_commit)
    try:
        assert await purge_inactive(sqlite_app, batch=5) == 12
    finally:
        event.remove(sync, "commit", on_commit)
    # 5 + 5 + 2 persons in three transactions (plus the bookkeeping), never one long one.
    assert len(commits) >= 3
    assert await count(sqlite_app, Person) == 1


async def test_replicas_can_migrate_an_empty_database_together(db_url: str) -> None:
    engines = [make_engine(db_url) for _ in range(3)]
    try:
        # Without the lock they fail with IntegrityError, or wait on each other for ever.
        await asyncio.wait_for(asyncio.gather(*(migrate(e) for e in engines)), 60)
    finally:
        for e in engines:
            await e.dispose()


def test_the_sqlite_helper_sees_a_lock(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    holder.execute("ROLLBACK")
