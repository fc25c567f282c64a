"""Alembic: every revision upgrades, downgrades and upgrades again (the "stairway"), and the
newest schema matches the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.storage.db import alembic_config, downgrade, make_engine, migrate
from bot.storage.models import Base, include_name, include_object


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def test_stairway(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        previous = "base"
        for revision in revisions():
            await migrate(engine, revision)
            await downgrade(engine, previous)
            await migrate(engine, revision)
            previous = revision
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert set(Base.metadata.tables) <= tables
    finally:
        await engine.dispose()


async def test_models_match_the_newest_migration(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await migrate(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(
                        c, opts={"include_name": include_name, "include_object": include_object}
                    ),
                    Base.metadata,
                )
            )
        assert diff == []
    finally:
        await engine.dispose()


async def test_migrating_twice_is_harmless(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await migrate(engine)
        await migrate(engine)
    finally:
        await engine.dispose()
