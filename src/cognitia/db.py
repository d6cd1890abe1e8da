"""Engines, sessions and the unit of work: the one place that commits.

SQLite and PostgreSQL differences live here (connection pragmas, pool sizes) and in
repositories, never in services.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol
from weakref import WeakKeyDictionary, WeakSet

from sqlalchemy import JSON, DateTime, Enum, MetaData, TypeDecorator, event
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from cognitia.errors import CognitiaError
from cognitia.kit.priority import Priority

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


def str_enum(cls: type[enum.Enum]) -> Enum:
    """A string-valued enum column, stored by value as VARCHAR(16) on both backends."""
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both backends (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class TransactionHooks(Protocol):
    """Something that must act around a commit (the job queue hands over jobs after it)."""

    async def before_commit(self, session: AsyncSession) -> None: ...

    async def after_commit(self, session: AsyncSession) -> None: ...


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = _sqlite_vec_engine(url) or create_async_engine(url, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def sqlite_vec_loaded(engine: AsyncEngine) -> bool:
    """Whether this SQLite engine's connections carry the sqlite-vec extension."""
    return engine.sync_engine in _VEC_ENGINES


def _sqlite_vec_engine(url: str) -> AsyncEngine | None:
    """An aiosqlite engine on pysqlite3 (a recent SQLite that can load extensions) with
    sqlite-vec loaded into every connection; None when either package is missing, and
    the stdlib driver is used instead (vector search then takes the exact slow path).

    Python's own sqlite3 is often built without extension loading, so the connections
    are built on pysqlite3 through SQLAlchemy's `async_creator`, the way aiosqlite.connect
    builds them. The DBAPI adapter's exception classes are pysqlite3's, so SQLAlchemy
    still turns driver errors into IntegrityError, OperationalError...
    """
    try:
        import aiosqlite
        import sqlite_vec
        from pysqlite3 import dbapi2 as pysqlite3
        from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi
        from sqlalchemy.engine import make_url

        from cognitia.db_sqlite import OneTripConnection
    except ImportError:
        return None

    path = make_url(url).database or ":memory:"

    def connector() -> Any:
        connection = pysqlite3.connect(path, timeout=30, check_same_thread=False)
        connection.enable_load_extension(True)
        sqlite_vec.load(connection)
        connection.enable_load_extension(False)
        return connection

    async def creator() -> Any:
        # One trip to the connection's thread per statement (db_sqlite.py).
        connection = OneTripConnection(connector, 64)
        connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite.connect
        return await connection  # starts its thread and opens the database

    module = AsyncAdapt_aiosqlite_dbapi(aiosqlite, pysqlite3)
    for name in _DBAPI_ERRORS:
        setattr(module, name, getattr(pysqlite3, name))
    engine = create_async_engine(url, async_creator=creator, module=module)
    _VEC_ENGINES.add(engine.sync_engine)
    return engine


_VEC_ENGINES: WeakSet[Engine] = WeakSet()


_DBAPI_ERRORS = (
    "DatabaseError",
    "Error",
    "IntegrityError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "sqlite_version",
    "sqlite_version_info",
)


# How long a writer waits for SQLite's one write lock: in SQLite's busy handler when
# another process holds it, in Database's queue when this process does.
BUSY_SECONDS = 30


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL for concurrent readers, foreign keys on, and explicit BEGIN.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs, so we
    take it over (SQLAlchemy's documented workaround).
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front, so a read-then-write transaction never
        # fails to upgrade; read-only work (Database.read) takes no lock at all.
        readonly = connection.get_execution_options().get(READ_ONLY, False)
        begin = "BEGIN" if readonly else "BEGIN IMMEDIATE"
        # A OneTripConnection (db_sqlite.py) sends it with the first statement, in its trip.
        begin_with = getattr(connection.connection.driver_connection, "begin_with", None)
        if begin_with is not None:
            begin_with(begin)
        else:
            connection.exec_driver_sql(begin)


READ_ONLY = "cognitia_read_only"


def insert_for(session: AsyncSession) -> Callable[..., Any]:
    """The session's dialect's INSERT (SQLite or PostgreSQL), which has ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    return postgresql_dialect.insert if dialect == "postgresql" else sqlite_dialect.insert


class ReadOnlySessionError(RuntimeError):
    pass


class DatabaseBusy(CognitiaError):
    status_code = 503
    code = "database_busy"
    default_detail = "The database stayed busy with other writes; try again."


class Database:
    """An engine, its session factories, and the hooks that run around every commit."""

    def __init__(self, engine: AsyncEngine, priority: Priority | None = None) -> None:
        self.engine = engine
        # Background work waits here, before each session, while replies are starting.
        self.priority = priority or Priority()
        self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        self._reader = async_sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        self.hooks: list[TransactionHooks] = []
        # One queue per event loop: an asyncio.Lock belongs to the loop it first waited in.
        self._writers: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            WeakKeyDictionary()
        )
        self._holders: WeakSet[asyncio.Task[Any]] = WeakSet()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session that commits once on success and rolls back on error."""
        await self.priority.wait_turn()
        async with self._write_turn(), self.sessionmaker() as session:
            try:
                yield session
                for hook in self.hooks:
                    await hook.before_commit(session)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        for hook in self.hooks:
            await hook.after_commit(session)

    @asynccontextmanager
    async def _write_turn(self) -> AsyncIterator[None]:
        """SQLite has one writer: this process's units of work wait for it here, in
        order. Left to SQLite's busy handler, they polled for the lock with sleeps growing
        to 100 ms, each holding a pooled connection, and the unlucky waited seconds while
        others took the lock before them (docs/benchmarks.md, "One writer at a time").
        Other processes still meet SQLite's busy timeout."""
        task = asyncio.current_task()
        if task is None or not self.is_sqlite or task in self._holders:
            # A unit of work inside one of its own task's (after ending the outer
            # transaction, as refreshing a reused token does): SQLite decides, as before.
            yield
            return
        writers = self._writers.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        try:
            async with asyncio.timeout(BUSY_SECONDS):
                await writers.acquire()
        except TimeoutError:
            raise DatabaseBusy(headers={"Retry-After": "1"}) from None
        self._holders.add(task)
        try:
            yield
        finally:
            self._holders.discard(task)
            writers.release()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only: on SQLite it takes no write lock, so any number of
        them run beside a writer. Anything it would write is refused."""
        await self.priority.wait_turn()
        # Closing (not rolling back) ends the transaction and keeps loaded objects usable.
        async with self._reader() as session:
            yield session
            if session.new or session.dirty or session.deleted:
                raise ReadOnlySessionError("a read-only session has changes")

    async def dispose(self) -> None:
        await self.engine.dispose()
