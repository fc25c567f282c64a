"""A database that a test can take down: the outage half of fault injection.

- SQLite: another connection holds ``BEGIN EXCLUSIVE`` (readers go on; every writer waits
  ``busy_timeout`` and gives up with "database is locked");
- PostgreSQL: the bot connects through a :class:`~bot.testing.tcp_proxy.TcpProxy`;
  ``down()`` resets every connection and refuses new ones, ``hang()`` keeps them open and
  passes nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field

from sqlalchemy import func, select

from bot.storage.db import Database, make_engine, sqlite_path
from bot.storage.models import OutboxMessage, table
from bot.testing.tcp_proxy import TcpProxy


@dataclass
class Store:
    """The database under test, as the bot sees it (``url``) and as the test reads it."""

    url: str  # for the bot (through the proxy on PostgreSQL)
    direct: str  # for the test
    proxy: TcpProxy | None = None
    _lock: sqlite3.Connection | None = field(default=None, repr=False)

    @property
    def sqlite(self) -> bool:
        return self.proxy is None

    async def down(self) -> None:
        if self.proxy is not None:
            self.proxy.cut()
            return
        path = sqlite_path(self.direct)
        assert path is not None

        def lock() -> sqlite3.Connection:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("BEGIN EXCLUSIVE")
            return conn

        self._lock = await asyncio.to_thread(lock)

    async def hang(self) -> None:
        """PostgreSQL stops answering; SQLite is locked (a writer waits, then fails)."""
        if self.proxy is not None:
            self.proxy.hang()
        else:
            await self.down()

    async def up(self) -> None:
        if self.proxy is not None:
            self.proxy.restore()
        if self._lock is not None:
            self._lock.execute("ROLLBACK")
            self._lock.close()
            self._lock = None

    async def pending(self) -> int:
        """Messages queued and not yet sent (nor given up)."""
        engine = make_engine(self.direct)
        try:
            async with Database(engine).read() as conn:
                O = table(OutboxMessage)  # noqa: E741
                stmt = select(func.count()).select_from(O).where(O.c.status == "pending")
                return int(await conn.scalar(stmt) or 0)
        finally:
            await engine.dispose()

    async def settled(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until every queued message is sent (and marked so)."""
        async with asyncio.timeout(timeout):
            while await self.pending():  # noqa: ASYNC110 - another process writes the rows
                await asyncio.sleep(0.2)
