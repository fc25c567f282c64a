"""aiosqlite with one hand-off to SQLite's thread per statement (issue 15).

SQLAlchemy's aiosqlite adapter sends each statement to aiosqlite's thread three or four
times: to make a cursor, to execute, to fetch the rows, to close the cursor. Every trip is a
queue put, a wake of the event loop from the thread, a future and two greenlet switches; on a
turn of seven statements they cost more than the statements. Here a statement is one trip:
the thread makes the sqlite3 cursor, executes, fetches every row (SQLAlchemy buffers them
anyway), notes ``description``/``rowcount``/``lastrowid`` and closes it. Errors are SQLite's
own (``sqlite_errorcode`` and all), translated by SQLAlchemy as before.

Used through ``create_async_engine(..., module=dbapi())`` (bot/storage/db.py): the aiosqlite
dialect is unchanged, only the DBAPI it is given. Server-side cursors (``stream_results``)
keep SQLAlchemy's own. It builds on SQLAlchemy 2.1's adapter classes and aiosqlite 0.22's
connection (pinned in pyproject.toml); tests/storage/test_sqlite_driver.py checks both.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any], int, int | None]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """In SQLite's thread: the whole statement."""
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


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor of which each execute is one trip to the thread; its rows are buffered."""

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

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> _Outcome:
        async with self._adapt_connection._execute_mutex:
            conn: sqlite3.Connection = self._connection._conn
            outcome: _Outcome = await self._connection._execute(
                _run, conn, operation, parameters, many
            )
            return outcome

    def _go(self, operation: Any, parameters: Any, many: bool) -> None:
        try:
            outcome = await_(self._trip(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
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
        return  # the sqlite3 cursor was closed in the thread

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        """SQLAlchemy's ``connect``, giving :class:`OneTripConnection`."""
        creator_fn = kw.pop("async_creator_fn", None)
        if creator_fn:
            connection = creator_fn(*arg, **kw)
        else:
            connection = self.aiosqlite.connect(*arg, **kw)
            connection._thread.daemon = True  # (never blocks the interpreter's exit)
        return OneTripConnection(self, await_(connection))


def dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)
