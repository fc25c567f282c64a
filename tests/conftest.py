"""Shared fixtures: a frozen clock, a fresh database (SQLite and PostgreSQL), an app.

PostgreSQL tests use ``TEST_POSTGRES_URL`` (default: the server on 127.0.0.1:5432 with trust
auth) and create a throw-away database per test. Where no server answers they are skipped,
unless ``JKP_REQUIRE_POSTGRES=1`` (set by .ci/run), which turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.evidence.config import EvidenceSettings
from bot.settings import Settings
from bot.testing.client import ChatClient
from bot.testing.clock import FrozenClock

PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


async def _pg_admin(sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    dsn = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_available() -> str | None:
    try:
        asyncio.run(_pg_admin("SELECT 1"))
    except Exception as e:
        return repr(e)
    return None


_PG_PROBLEM: list[str | None] = []


def postgres_or_skip() -> None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_pg_available())
    problem = _PG_PROBLEM[0]
    if problem is None:
        return
    if os.environ.get("JKP_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required (JKP_REQUIRE_POSTGRES=1) but unreachable: {problem}")
    pytest.skip(f"PostgreSQL unreachable: {problem}")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jkp.sqlite3'}"
        return
    postgres_or_skip()
    name = f"jkp_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


TEST_KEY = "vH0cPzM5y2mQk5y7sLwP1oVb0m2n0lq0Yt8Tq3wC6xU="  # a Fernet key for tests only


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    evidence = EvidenceSettings(directory=str(tmp_path / "evidence"))  # needed with PostgreSQL
    return replace(Settings(), database_url=db_url, encryption_keys=TEST_KEY, evidence=evidence)


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[App]:
    application = await build_app(settings, clock=clock)
    try:
        yield application
    finally:
        await application.close()


@pytest.fixture
def client(app: App) -> ChatClient:
    return ChatClient(app.engine)


@pytest.fixture
async def sqlite_app(tmp_path: Path) -> AsyncIterator[App]:
    """An app on SQLite only, for tests about dialog behaviour rather than the database."""
    settings = replace(Settings(), database_url=f"sqlite:///{tmp_path / 'app.sqlite3'}")
    application = await build_app(settings, clock=FrozenClock())
    try:
        yield application
    finally:
        await application.close()
