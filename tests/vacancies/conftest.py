"""A migrated database (SQLite and PostgreSQL) and the hand-written test catalogue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import make_engine, migrate
from bot.vacancies.importer import import_text

DATA = Path(__file__).with_name("data")


@pytest.fixture
def today() -> date:
    return date(2025, 6, 2)


@pytest.fixture
def now() -> datetime:
    return datetime(2025, 6, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(db_url)
    await migrate(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def catalogue(db: AsyncEngine, now: datetime, today: date) -> AsyncEngine:
    """relevance_catalogue.csv loaded: 84 vacancies, R120 closed (past its closes_at)."""
    text = (DATA / "relevance_catalogue.csv").read_text(encoding="utf-8")
    report = await import_text(db, text, "csv", now=now, today=today)
    assert (report.read, report.inserted, report.errors) == (84, 84, ())
    return db
