"""Alembic environment. The application passes its own connection (``config.attributes``);
``alembic`` on the command line builds one from DATABASE_URL."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.models import Base, include_name, include_object

target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    from bot.storage.db import make_engine

    async def run() -> None:
        engine = make_engine(os.environ.get("DATABASE_URL", "sqlite:///jkp.sqlite3"))
        async with engine.begin() as conn:
            await conn.run_sync(run_with)
        await engine.dispose()

    asyncio.run(run())


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `jkp-bot migrate`.")
run_online()
