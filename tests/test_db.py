"""The unit of work and read-only sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from pysqlite3 import dbapi2 as pysqlite3
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cognitia import db as db_module
from cognitia.config import Settings
from cognitia.db import DatabaseBusy, ReadOnlySessionError
from cognitia.db_sqlite import OneTripConnection
from cognitia.models.user import User
from cognitia.runtime import Runtime, build_runtime
from tests.support.factories import create_user

pytestmark = pytest.mark.asyncio


async def test_unit_of_work_commits_on_success_and_rolls_back_on_error(runtime: Runtime) -> None:
    async with runtime.db.unit_of_work() as session:
        session.add(User(email="kept@example.com", password_hash="x"))

    async def failing_unit() -> None:
        async with runtime.db.unit_of_work() as session:
            session.add(User(email="dropped@example.com", password_hash="x"))
            await session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await failing_unit()
    async with runtime.db.read() as session:
        emails = set((await session.scalars(select(User.email))).all())
    assert "kept@example.com" in emails
    assert "dropped@example.com" not in emails


async def test_read_session_refuses_changes(runtime: Runtime) -> None:
    with pytest.raises(ReadOnlySessionError):
        async with runtime.db.read() as session:
            session.add(User(email="sneaky@example.com", password_hash="x"))
    async with runtime.db.read() as session:
        found = await session.scalar(select(User).where(User.email == "sneaky@example.com"))
    assert found is None


async def test_reads_proceed_while_a_writer_holds_its_transaction(runtime: Runtime) -> None:
    user = await create_user(runtime)
    writer_open, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with runtime.db.unit_of_work() as session:
            row = await session.get(User, user.id)
            assert row is not None
            row.first_name = "Changed"
            await session.flush()
            writer_open.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await writer_open.wait()
    async with asyncio.timeout(20):  # a hang guard: a blocked read would wait for the writer
        async with runtime.db.read() as session:
            seen = await session.get(User, user.id)
    assert seen is not None
    assert seen.first_name == "Test", "a reader must not see uncommitted changes"
    release.set()
    await task
    async with runtime.db.read() as session:
        after = await session.get(User, user.id)
    assert after is not None
    assert after.first_name == "Changed"


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_a_unit_of_work_holds_the_write_lock_from_its_first_statement(
    settings: Settings,
) -> None:
    """BEGIN IMMEDIATE travels with the first statement (db_sqlite.py), and still comes
    before it: a transaction that reads first can always write after."""
    runtime = build_runtime(settings)  # no app, so no background job holds the lock
    # The engine's own SQLite library: another library in this process would not see its
    # locks (POSIX locks never conflict within one process).
    other = pysqlite3.connect(make_url(settings.database_url or "").database or "", timeout=0)
    try:
        async with runtime.db.unit_of_work() as session:
            await session.scalar(select(func.count()).select_from(User))
            with pytest.raises(pysqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again once it committed
        other.rollback()
    finally:
        other.close()
        await runtime.close()


async def test_a_transaction_that_sent_nothing_leaves_none_open(tmp_path: Path) -> None:
    connection = OneTripConnection(lambda: sqlite3.connect(tmp_path / "x.db"), 64)
    await connection  # opens it
    try:
        connection.begin_with("BEGIN IMMEDIATE")
        await connection.commit()  # nothing was sent: nothing to commit, nothing kept
        await connection.run("SELECT 1", (), many=False)
        assert not connection.in_transaction
        connection.begin_with("BEGIN")
        await connection.run("SELECT 1", (), many=False)
        assert connection.in_transaction  # the kept BEGIN went with the statement
        await connection.rollback()
        assert not connection.in_transaction
    finally:
        await connection.close()


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_writers_of_one_process_take_the_sqlite_writer_in_order(settings: Settings) -> None:
    runtime = build_runtime(settings)  # no app, so no background job writes meanwhile
    holding, done = asyncio.Event(), asyncio.Event()
    order: list[int] = []

    async def first() -> None:
        async with runtime.db.unit_of_work() as session:
            await session.scalar(select(func.count()).select_from(User))
            holding.set()
            await done.wait()

    async def then(number: int) -> None:
        async with runtime.db.unit_of_work() as session:
            await session.scalar(select(func.count()).select_from(User))
            order.append(number)

    try:
        holder = asyncio.create_task(first())
        await holding.wait()
        waiters = []
        for number in range(3):
            waiters.append(asyncio.create_task(then(number)))
            await asyncio.sleep(0)  # it runs up to its wait for the writer
        # Waiting in this process's queue, none holds a pooled connection.
        assert runtime.db.engine.sync_engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        done.set()
        await asyncio.gather(holder, *waiters)
        assert order == [0, 1, 2]
    finally:
        await runtime.close()


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_a_writer_kept_waiting_too_long_is_told_the_database_is_busy(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = build_runtime(settings)
    monkeypatch.setattr(db_module, "BUSY_SECONDS", 0.05)

    async def write() -> None:
        async with runtime.db.unit_of_work() as other:
            await other.scalar(select(func.count()).select_from(User))

    try:
        async with runtime.db.unit_of_work() as session:
            await session.scalar(select(func.count()).select_from(User))
            with pytest.raises(DatabaseBusy) as refused:
                await asyncio.create_task(write())  # another request's
        assert (refused.value.status_code, refused.value.code) == (503, "database_busy")
        assert refused.value.headers == {"Retry-After": "1"}
    finally:
        await runtime.close()


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_a_unit_of_work_inside_its_own_tasks_one_is_not_queued_behind_it(
    settings: Settings,
) -> None:
    """Refreshing a reused token ends its request's transaction, then revokes the session
    in a unit of work of its own: it must not wait for the turn its own task holds."""
    runtime = build_runtime(settings)
    try:
        async with runtime.db.unit_of_work() as outer:
            await outer.scalar(select(func.count()).select_from(User))
            await outer.rollback()  # SQLite's lock is free again
            async with runtime.db.unit_of_work() as inner:
                count = await inner.scalar(select(func.count()).select_from(User))
        assert count == 0
    finally:
        await runtime.close()
