"""Migration 0018 on both backends: character.tool_policies and the tool_approval table up,
down, and up again."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from cognitia.migrations import runner

COLUMNS = {
    "id",
    "chat_id",
    "message_id",
    "call_id",
    "name",
    "arguments",
    "status",
    "decided_by",
    "created_at",
    "expires_at",
    "decided_at",
}


def _schema(url: str) -> tuple[set[str] | None, set[str]]:
    """The tool_approval table's columns (None without it), and the character's columns."""

    async def read() -> tuple[set[str] | None, set[str]]:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:

            def look(sync: object) -> tuple[set[str] | None, set[str]]:
                inspector = inspect(sync)
                character = {c["name"] for c in inspector.get_columns("character")}
                if "tool_approval" not in inspector.get_table_names():
                    return None, character
                return {c["name"] for c in inspector.get_columns("tool_approval")}, character

            found = await conn.run_sync(look)
        await engine.dispose()
        return found

    return asyncio.run(read())


def test_0018_adds_tool_consent_and_comes_off_again(empty_url: str) -> None:
    runner.upgrade(empty_url, "0015")
    table, character = _schema(empty_url)
    assert (table, "tool_policies" in character) == (None, False)

    runner.upgrade(empty_url)
    table, character = _schema(empty_url)
    assert table == COLUMNS
    assert "tool_policies" in character

    runner.downgrade(empty_url, "0015")
    table, character = _schema(empty_url)
    assert (table, "tool_policies" in character) == (None, False)
    runner.upgrade(empty_url)
    assert _schema(empty_url)[0] == COLUMNS
