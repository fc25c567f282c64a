"""Migration 0008: the ``placements`` table with its sweep indexes appears on upgrade and
goes on downgrade, on SQLite and PostgreSQL (the stairway test walks every revision too)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect

from bot.storage.db import downgrade, make_engine, migrate


def _schema(conn: Any) -> tuple[set[str], set[str]]:
    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    if "placements" not in tables:
        return tables, set()
    return tables, {i["name"] for i in inspector.get_indexes("placements")}


async def test_0008_adds_and_removes_placements(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await migrate(engine, "0008")
        async with engine.connect() as conn:
            tables, indexes = await conn.run_sync(_schema)
        assert "placements" in tables
        assert {"ix_placements_due", "ix_placements_placed", "ix_placements_person_id"} <= indexes
        await downgrade(engine, "0007")
        async with engine.connect() as conn:
            tables, _ = await conn.run_sync(_schema)
        assert "placements" not in tables and "persons" in tables
    finally:
        await engine.dispose()
