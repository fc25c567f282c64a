"""One async engine per process; SQLite (WAL, immediate write transactions) or PostgreSQL.

:class:`Database` hands out connections inside a transaction: :meth:`Database.write` for work
that writes (on SQLite ``BEGIN IMMEDIATE``: it waits for the one writer's lock up front instead
of failing on upgrade) and :meth:`Database.read` for reads (on SQLite a deferred ``BEGIN``
that never takes the write lock, so outbox polls, searches and DATA never stall a writer).
A database that cannot be reached raises :class:`StorageUnavailable`, which channels treat as
"not handled yet": the update is redelivered instead of lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import weakref
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, exc, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.storage import sqlite_driver

MIGRATIONS = Path(__file__).with_name("migrations")
READ_ONLY = "jkp_read_only"  # execution option: a deferred transaction on SQLite
AUTOCOMMIT = "AUTOCOMMIT"  # isolation level: each statement commits by itself (PostgreSQL)
BUSY_TIMEOUT_MS = 5000
PING_IDLE_AFTER = 5.0  # seconds: a PostgreSQL connection idle this long is pinged at checkout
MIGRATION_LOCK = zlib.crc32(b"pendamping-jkp:migrations")  # PostgreSQL advisory lock id

log = logging.getLogger(__name__)


class StorageUnavailable(RuntimeError):
    """The database cannot be reached or is locked for too long: try again later."""


class WriteConflict(RuntimeError):
    """A :meth:`Database.turn` on SQLite could not write what it read: another process
    committed since (``SQLITE_BUSY_SNAPSHOT``) or is writing now (``SQLITE_BUSY``, returned at
    once to a transaction that holds a snapshot). Compute the turn again, exclusively."""


SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT = 5, 517


def _busy(error: BaseException) -> bool:
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlite_errorcode", None) in (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT)


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://, sqlite:///) for async drivers."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for a server or an in-memory database)."""
    if not is_sqlite(url):
        return None
    path = url.split(":///", 1)[-1]
    return None if path in ("", ":memory:") else Path(path)


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (SQLite gives its -wal and -shm
    files the same permissions)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def make_engine(url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, **kwargs: Any) -> AsyncEngine:
    url = normalise_url(url)
    if not is_sqlite(url):
        # A server that stops answering must not hold a turn for ever: connecting and each
        # statement time out, and the turn is left for redelivery (StorageUnavailable).
        connect_args = {"timeout": 10, "command_timeout": 30, **kwargs.pop("connect_args", {})}
        ping_after = kwargs.pop("ping_idle_after", PING_IDLE_AFTER)
        server = create_async_engine(url, connect_args=connect_args, **kwargs)
        _ping_when_idle(server, ping_after)
        return server
    if (path := sqlite_path(url)) is not None:
        _create_private(path)
    if url.startswith("sqlite+aiosqlite:"):
        # statements in the loop's thread, waiting for other processes' locks in the loop
        kwargs.setdefault("module", sqlite_driver.dbapi(busy_timeout_ms / 1000))
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions, so BEGIN IMMEDIATE below is used:
        # a writer then waits for the lock (busy_timeout) instead of failing on upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # (the project's driver waits in the event loop instead, bot/storage/sqlite_driver.py)
        inline = isinstance(dbapi_connection, sqlite_driver.OneTripConnection)
        cursor.execute(f"PRAGMA busy_timeout={0 if inline else int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _unavailable(error: BaseException) -> bool:
    """Whether an error means "the database is not there right now" (not a bug)."""
    if isinstance(error, StorageUnavailable):
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error, exc.OperationalError | exc.InterfaceError):
            message = str(error.orig or error).lower()
            if "sqlite" in type(error.orig).__module__:
                # SQLite says "no such table" with the same class: only these are outages.
                return any(w in message for w in _SQLITE_OUTAGES)
            return True
        return _unavailable(error.orig) if error.orig is not None else False
    if isinstance(error, OSError | TimeoutError | ConnectionError):
        return True
    name = type(error).__name__
    # asyncpg's connection errors, without importing asyncpg here
    return name in {
        "CannotConnectNowError",
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "InterfaceError",
        "TooManyConnectionsError",
        "AdminShutdownError",
        "CrashShutdownError",
    }


_SQLITE_OUTAGES = ("locked", "busy", "disk i/o", "unable to open", "readonly", "disk is full")


def _ping_when_idle(engine: AsyncEngine, after: float) -> None:
    """Find a connection the server dropped while it sat in the pool (a restart, a
    failover, an idle timeout on the way) before a transaction uses it: a connection idle
    for ``after`` seconds or more is pinged as it is checked out, and a dead one replaced
    (``DisconnectionError``: the pool connects afresh). SQLAlchemy's ``pool_pre_ping`` does
    this on every checkout, which on asyncpg is three round trips to the server (begin,
    ping, rollback): more than a turn's own statements. A connection in steady use is not
    pinged; if the server goes away under it, its statement fails, the pool is invalidated
    and the turn is left for redelivery (:class:`StorageUnavailable`), as any outage."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connected(_dbapi_connection: Any, record: Any) -> None:
        record.info["jkp_idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["jkp_idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _taken(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("jkp_idle_since")
        if since is not None and time.monotonic() - since < after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as e:
            raise exc.DisconnectionError(f"a pooled connection was dropped: {e!r}") from e


class Database:
    """The application's database: transactions for reading and for writing."""

    def __init__(self, engine: AsyncEngine, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.busy_timeout = busy_timeout_ms / 1000
        # SQLite has one writer. Writers of this process queue here, in order, instead of
        # in SQLite's busy handler (which sleeps and retries: under load a turn could wait
        # past the busy timeout and fail while the lock was free most of the time).
        self._writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed when the block ends without an error."""
        try:
            async with self._writer(), self.engine.connect() as conn, conn.begin():
                yield conn
        except Exception as e:
            if _unavailable(e):
                raise StorageUnavailable(f"database unavailable: {e!r}"[:300]) from e
            raise

    @contextlib.asynccontextmanager
    async def single(self) -> AsyncIterator[AsyncConnection]:
        """For one statement that is a transaction by itself (the sender's mark): on
        PostgreSQL it runs in autocommit, without ``BEGIN`` and ``COMMIT`` (two round trips
        to the server fewer); on SQLite as :meth:`write`. Never for two statements: each
        would commit on its own."""
        if self.sqlite:
            async with self.write() as conn:
                yield conn
            return
        try:
            async with self.engine.connect() as conn:
                await conn.execution_options(isolation_level=AUTOCOMMIT)
                yield conn
        except Exception as e:
            if _unavailable(e):
                raise StorageUnavailable(f"database unavailable: {e!r}"[:300]) from e
            raise

    @contextlib.asynccontextmanager
    async def turn(self, *, exclusive: bool = False) -> AsyncIterator[AsyncConnection]:
        """A transaction that reads, then writes, with no lock held while it reads: a turn
        (bot/core/engine.py). On SQLite a deferred ``BEGIN`` taken in this process's writer
        queue: other processes can write until the turn's first write, and if one did (or is
        writing then), :class:`WriteConflict`; the caller computes the turn again with
        ``exclusive`` (``BEGIN IMMEDIATE``, as :meth:`write`: it waits for the lock up to
        the busy timeout). On PostgreSQL the turn reads in autocommit (read committed: a
        transaction would give each statement its own snapshot all the same; the caller
        checks versions) and writes either in one statement (bot/storage/turn_write.py) or,
        from :meth:`begin_writes` on, in a transaction committed when the block ends."""
        try:
            if self.sqlite and not exclusive:
                async with self._writer(), read_only(self.engine) as conn:
                    yield conn
            elif self.sqlite:
                async with self._writer(), self.engine.connect() as conn, conn.begin():
                    yield conn
            else:
                async with self.engine.connect() as conn:
                    await conn.execution_options(isolation_level=AUTOCOMMIT)
                    yield conn
                    if conn.in_transaction():
                        await conn.commit()
        except Exception as e:
            if self.sqlite and not exclusive and _busy(e):
                raise WriteConflict(str(e)) from e
            if _unavailable(e):
                raise StorageUnavailable(f"database unavailable: {e!r}"[:300]) from e
            raise

    @staticmethod
    async def begin_writes(conn: AsyncConnection) -> None:
        """From here on, the turn's statements are one transaction (``BEGIN`` now, committed
        when :meth:`turn` ends): before the first write of a turn that is not one statement,
        and before answering a question on its connection (an answer may write). Nothing on
        SQLite, where the turn is a transaction from the start; nothing the second time."""
        if not Database.reads_at_once(conn):
            return
        if conn.in_transaction():
            await conn.commit()  # (SQLAlchemy's own begin in autocommit: nothing is sent)
        level = conn.sync_connection.default_isolation_level if conn.sync_connection else None
        await conn.execution_options(isolation_level=level or "READ COMMITTED")
        await conn.begin()

    @staticmethod
    def reads_at_once(conn: AsyncConnection) -> bool:
        """Whether the turn on ``conn`` has written nothing yet and is not a transaction
        (PostgreSQL, before :meth:`begin_writes`): its writes may be one statement."""
        sync = conn.sync_connection
        level = sync.get_execution_options().get("isolation_level") if sync else None
        return level == AUTOCOMMIT

    @contextlib.asynccontextmanager
    async def _writer(self) -> AsyncIterator[None]:
        """On SQLite, this process's turn to write (waits at most the busy timeout)."""
        if not self.sqlite:
            yield
            return
        loop = asyncio.get_running_loop()
        lock = self._writers.get(loop)
        if lock is None:
            lock = self._writers[loop] = asyncio.Lock()
        try:
            await asyncio.wait_for(lock.acquire(), self.busy_timeout)
        except TimeoutError:
            raise StorageUnavailable("database is locked (this process's writers queue)") from None
        try:
            yield
        finally:
            lock.release()

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (never takes SQLite's write lock)."""
        try:
            async with read_only(self.engine) as conn:
                yield conn
        except Exception as e:
            if _unavailable(e):
                raise StorageUnavailable(f"database unavailable: {e!r}"[:300]) from e
            raise

    async def dispose(self) -> None:
        await self.engine.dispose()


@contextlib.asynccontextmanager
async def read_only(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only transaction, for searches and reports: on SQLite a deferred ``BEGIN`` (a
    WAL snapshot; it never takes or waits for the write lock that every other transaction
    takes with ``BEGIN IMMEDIATE``), on PostgreSQL ``READ ONLY``."""
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(postgresql_readonly=True)
        else:
            await conn.execution_options(**{READ_ONLY: True})
        async with conn.begin():
            yield conn


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the schema on this engine's database (Alembic, connection sharing).

    On PostgreSQL an advisory lock serialises migrations, so replicas starting together
    do not race each other (the second waits, then finds nothing to do).
    """

    def upgrade(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    for attempt in range(10):
        try:
            async with engine.begin() as conn:
                await conn.run_sync(upgrade)
            return
        except exc.OperationalError as e:
            # SQLite: another process holds the write lock longer than the busy timeout
            # (it is migrating too): wait and look again.
            if engine.dialect.name != "sqlite" or "locked" not in str(e) or attempt == 9:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


def migrate_sync(url: str) -> None:
    """`jkp-bot migrate`: upgrade to the newest schema and exit (encryption configured by the
    caller: a migration may move encrypted data)."""

    async def run() -> None:
        engine = make_engine(url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
