"""aiosqlite's connection, with statements run in the event loop's own thread (issue 15).

SQLAlchemy's aiosqlite adapter sends every statement to aiosqlite's thread three or four
times (make a cursor, execute, fetch the rows, close the cursor), and each commit and
rollback once more. Every trip is a queue put, a wake of the event loop from the thread, a
future and two greenlet switches: on a turn of seven small statements they cost several
times the statements. Here a statement, a commit and a rollback run at once, in the event
loop's thread: SQLite on a local file in WAL mode answers a turn's indexed statements in
microseconds, far less than one trip (``PRAGMA synchronous=NORMAL``: a commit does not wait
for the disk). The rows are fetched at once and buffered (SQLAlchemy buffers them anyway).

What must never happen in the event loop's thread is a wait for another process's lock: the
connection's own ``busy_timeout`` is 0, and a statement that finds the database locked
(``SQLITE_BUSY``) outside a transaction, such as ``BEGIN IMMEDIATE``, is tried again after
an ``asyncio.sleep`` that lets the loop run, with SQLite's own back-off, until
``busy_timeout`` (seconds, :attr:`OneTripConnection.busy_timeout`) has passed; then SQLite's
error is raised as it is. Inside a transaction ``SQLITE_BUSY`` is raised at once, as SQLite
itself does there (a turn computes again: bot/storage/db.py ``WriteConflict``). Errors are
SQLite's own (``sqlite_errorcode`` and all), translated by SQLAlchemy as before.

The connection is opened and closed by aiosqlite's thread, and server-side cursors
(``stream_results``) keep SQLAlchemy's own, through that thread. Used through
``create_async_engine(..., module=dbapi())`` (bot/storage/db.py): the aiosqlite dialect is
unchanged, only the DBAPI it is given. It builds on SQLAlchemy 2.1's adapter classes and
aiosqlite 0.22's connection (pinned in pyproject.toml); tests/storage/test_sqlite_driver.py
checks both.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import time
from collections.abc import Sequence
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any], int, int | None]

SQLITE_BUSY, SQLITE_BUSY_RECOVERY = 5, 261  # (SQLITE_BUSY_SNAPSHOT, 517, never waits)
# SQLite's own busy handler sleeps these (sqliteDefaultBusyCallback), then 100 ms each time.
BACKOFF = (0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.025, 0.025, 0.05, 0.05, 0.1)


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """The whole statement: execute, fetch every row, close the cursor."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _locked_out(error: Exception, conn: sqlite3.Connection) -> bool:
    """Whether the statement found another connection's lock where SQLite's busy handler
    would have waited: outside a transaction (a failed ``BEGIN`` leaves none)."""
    return (
        isinstance(error, sqlite3.OperationalError)
        and getattr(error, "sqlite_errorcode", None) in (SQLITE_BUSY, SQLITE_BUSY_RECOVERY)
        and not conn.in_transaction
    )


async def _execute(
    conn: sqlite3.Connection, operation: str, parameters: Any, many: bool, patience: float
) -> _Outcome:
    """The statement, at once; locked out by another process (:func:`_locked_out`), again
    after each back-off, letting the loop run meanwhile, until ``patience`` seconds have
    passed, then SQLite's error. (A coroutine that does not wait unless locked out:
    SQLAlchemy's async engine wants every statement awaited.)"""
    try:
        return _run(conn, operation, parameters, many)
    except sqlite3.OperationalError as error:
        if not _locked_out(error, conn) or patience <= 0:
            raise
    deadline = time.monotonic() + patience
    attempt = 0
    while True:
        left = deadline - time.monotonic()
        await asyncio.sleep(max(0.0, min(BACKOFF[min(attempt, len(BACKOFF) - 1)], left)))
        attempt += 1
        try:
            return _run(conn, operation, parameters, many)
        except sqlite3.OperationalError as error:
            if not _locked_out(error, conn) or time.monotonic() >= deadline:
                raise


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statements run at once in the loop's thread; rows are buffered."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # (no aiosqlite cursor: no trip)
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def _go(self, operation: Any, parameters: Any, many: bool) -> None:
        adapt = cast(OneTripConnection, self._adapt_connection)
        try:
            conn: sqlite3.Connection = self._connection._conn
            outcome = await_(_execute(conn, operation, parameters, many, adapt.busy_timeout))
        except Exception as error:
            adapt._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._go(operation, parameters, False)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        self._go(operation, seq_of_parameters, True)

    def nextset(self) -> None:
        return None  # one result set: the rows are all fetched

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None

    async def _async_soft_close(self) -> None:
        return  # the sqlite3 cursor is closed already

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("busy_timeout",)
    _cursor_cls = OneTripCursor
    busy_timeout: float  # seconds (see the module's text)

    def commit(self) -> None:
        if self._connection._connection:
            try:
                self._connection._conn.commit()
            except Exception as error:
                self._handle_exception(error)

    def rollback(self) -> None:
        if self._connection._connection:
            try:
                self._connection._conn.rollback()
            except Exception as error:
                self._handle_exception(error)


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def __init__(self, busy_timeout: float) -> None:
        super().__init__(aiosqlite, sqlite3)
        self.busy_timeout = busy_timeout

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        """SQLAlchemy's ``connect``, giving :class:`OneTripConnection`: opened by
        aiosqlite's thread, used from the loop's (``check_same_thread`` off), and waiting
        for other processes' locks in the loop, not in SQLite (``busy_timeout`` 0)."""
        creator_fn = kw.pop("async_creator_fn", None)
        if creator_fn:
            connection = creator_fn(*arg, **kw)
        else:
            kw["check_same_thread"] = False
            kw["timeout"] = 0
            connection = self.aiosqlite.connect(*arg, **kw)
            connection._thread.daemon = True  # (never blocks the interpreter's exit)
        adapted = OneTripConnection(self, await_(connection))
        adapted.busy_timeout = self.busy_timeout
        return adapted


def dbapi(busy_timeout: float = 5.0) -> OneTripDBAPI:
    """The DBAPI; ``busy_timeout``: seconds a statement outside a transaction waits for
    another process's lock."""
    return OneTripDBAPI(busy_timeout)
