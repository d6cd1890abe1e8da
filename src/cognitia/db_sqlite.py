"""aiosqlite with one trip to the connection's thread per statement.

aiosqlite runs each call of the DB-API on the connection's own thread: making a cursor,
executing, fetching the rows and closing the cursor are four trips, each a queue hand-off,
a wake-up of the thread and one of the event loop, and the GIL passed back and forth.
SQLAlchemy's aiosqlite adapter makes all four for every statement. Measured on the
development machine: 0.22 ms per `SELECT 1` through aiosqlite's cursor, 0.07 ms when
execute and fetch are one trip (docs/benchmarks.md, "The chat loop"); a reply runs some
sixty statements, and the trips' wake-ups are what other requests wait behind.

`OneTripConnection` keeps aiosqlite's connection, thread and queue, and gives SQLAlchemy a
cursor whose `execute` runs the statement, reads every row and closes the sqlite3 cursor in
one trip; the rows, `description`, `rowcount` and `lastrowid` are then read locally. Every
statement's result is read whole (as SQLAlchemy's non-streaming adapter does anyway).

A transaction's BEGIN rides along too: `begin_with` keeps it until the first statement,
and that statement's trip runs it first. A transaction that sends nothing sends no BEGIN
(its commit or rollback has nothing to end, and forgets the kept one).
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiosqlite


@dataclass
class _Result:
    description: Any = None
    rowcount: int = -1
    lastrowid: int | None = None
    rows: deque[Any] = field(default_factory=deque)


def _run(
    connection: sqlite3.Connection, sql: str, parameters: Any, many: bool, begin: str | None
) -> _Result:
    """On the connection's thread: the transaction's BEGIN when it is the first statement,
    the statement, its rows, and the cursor closed."""
    if begin is not None:
        connection.execute(begin)
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = deque(cursor.fetchall()) if cursor.description else deque()
        return _Result(cursor.description, cursor.rowcount, cursor.lastrowid, rows)
    finally:
        cursor.close()


class OneTripCursor:
    """The async cursor SQLAlchemy's adapter drives, holding a whole result."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._result = _Result()

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> OneTripCursor:
        self._result = await self._connection.run(sql, parameters or (), many=False)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneTripCursor:
        self._result = await self._connection.run(sql, parameters, many=True)
        return self

    async def fetchone(self) -> Any:
        rows = self._result.rows
        return rows.popleft() if rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._result.rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    async def fetchall(self) -> list[Any]:
        rows = list(self._result.rows)
        self._result.rows.clear()
        return rows

    async def close(self) -> None:
        self._result.rows.clear()  # the sqlite3 cursor was closed on the thread

    @property
    def description(self) -> Sequence[Any] | None:
        return self._result.description  # type: ignore[no-any-return]

    @property
    def rowcount(self) -> int:
        return self._result.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._result.lastrowid


class OneTripConnection(aiosqlite.Connection):
    """aiosqlite's connection, with cursors that make one trip per statement."""

    _begin: str | None = None  # the BEGIN the next statement runs first

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    def begin_with(self, sql: str) -> None:
        """Start a transaction with `sql` (BEGIN or BEGIN IMMEDIATE) on the next
        statement's trip."""
        self._begin = sql

    async def run(self, sql: str, parameters: Any, *, many: bool) -> _Result:
        begin, self._begin = self._begin, None
        # aiosqlite's own queue to its thread, the one its cursors use.
        result: _Result = await self._execute(_run, self._conn, sql, parameters, many, begin)  # type: ignore[no-untyped-call]
        return result

    async def commit(self) -> None:
        self._begin = None  # a transaction that sent nothing: there is nothing to commit
        await super().commit()

    async def rollback(self) -> None:
        self._begin = None
        await super().rollback()
