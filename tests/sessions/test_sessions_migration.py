"""Migration 0015 on both backends: the coaching_session table up, down, and up again."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from cognitia.migrations import runner

COLUMNS = {
    "id",
    "user_id",
    "character_id",
    "chat_id",
    "goal",
    "status",
    "carried_items",
    "notes",
    "notes_error",
    "started_at",
    "ended_at",
    "updated_at",
}


def _table(url: str) -> tuple[set[str], set[str]] | None:
    """The coaching_session table's columns and index names, None without the table."""

    async def read() -> tuple[set[str], set[str]] | None:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:

            def look(sync: object) -> tuple[set[str], set[str]] | None:
                inspector = inspect(sync)
                if "coaching_session" not in inspector.get_table_names():
                    return None
                columns = {c["name"] for c in inspector.get_columns("coaching_session")}
                indexes = {str(i["name"]) for i in inspector.get_indexes("coaching_session")}
                return columns, indexes

            found = await conn.run_sync(look)
        await engine.dispose()
        return found

    return asyncio.run(read())


def test_0015_adds_the_sessions_table_and_comes_off_again(empty_url: str) -> None:
    runner.upgrade(empty_url, "0013")
    assert _table(empty_url) is None

    runner.upgrade(empty_url)
    found = _table(empty_url)
    assert found is not None
    assert found[0] == COLUMNS
    assert "ix_coaching_session_user_character" in found[1]

    runner.downgrade(empty_url, "0013")
    assert _table(empty_url) is None
    runner.upgrade(empty_url)
    assert _table(empty_url) is not None


def _chat_columns(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:
            found = await conn.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("chat")}
            )
        await engine.dispose()
        return found

    return asyncio.run(read())


def test_0021_adds_chat_closed_at_and_comes_off_again(empty_url: str) -> None:
    runner.upgrade(empty_url, "0021")
    assert "closed_at" in _chat_columns(empty_url)

    runner.downgrade(empty_url, "0015")
    assert "closed_at" not in _chat_columns(empty_url)
    runner.upgrade(empty_url)
    assert "closed_at" in _chat_columns(empty_url)
