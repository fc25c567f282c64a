"""``Database.single``: one statement that is a transaction by itself (the sender's mark).
On PostgreSQL it runs in autocommit (no BEGIN and COMMIT round trips), so it is committed
as soon as it ran; on SQLite it is an ordinary write transaction."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from bot.app import App
from bot.storage.models import ProcessedEvent, table

E = table(ProcessedEvent)


async def handled(app: App) -> int:
    async with app.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(E))).scalar_one())


async def test_a_single_statement_commits_by_itself(app: App) -> None:
    now = app.engine.clock()
    async with app.db.single() as conn:
        await conn.execute(insert(E).values(channel="console", event_id="one", at=now))
        if app.db.sqlite:
            assert await handled(app) == 0  # a transaction, committed when the block ends
        else:
            assert await handled(app) == 1  # autocommit: already there
    assert await handled(app) == 1
    async with app.db.write() as conn:  # and the connection went back to the pool as usual:
        await conn.execute(insert(E).values(channel="console", event_id="two", at=now))
        assert await handled(app) == 1  # a transaction again
    assert await handled(app) == 2
