"""The unit of work and read-only sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from cognitia.db import ReadOnlySessionError
from cognitia.models.user import User
from cognitia.runtime import Runtime
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
