"""Migration 0017 on both backends: the mcp_server table up, down, and up again."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from cognitia.migrations import runner

COLUMNS = {
    "id",
    "owner_user_id",
    "name",
    "transport",
    "command",
    "args",
    "env",
    "url",
    "headers",
    "connect_timeout_seconds",
    "call_timeout_seconds",
    "enabled",
    "created_at",
    "updated_at",
}
INDEXES = {"ix_mcp_server_owner_user_id", "uq_mcp_server_owner_name", "uq_mcp_server_admin_name"}


def _table(url: str) -> tuple[set[str], set[str]] | None:
    """The mcp_server table's columns and index names, None without the table."""

    async def read() -> tuple[set[str], set[str]] | None:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:

            def look(sync: object) -> tuple[set[str], set[str]] | None:
                inspector = inspect(sync)
                if "mcp_server" not in inspector.get_table_names():
                    return None
                columns = {c["name"] for c in inspector.get_columns("mcp_server")}
                indexes = {str(i["name"]) for i in inspector.get_indexes("mcp_server")}
                return columns, indexes

            found = await conn.run_sync(look)
        await engine.dispose()
        return found

    return asyncio.run(read())


def test_0017_adds_the_mcp_server_table_and_comes_off_again(empty_url: str) -> None:
    runner.upgrade(empty_url, "0015")
    assert _table(empty_url) is None

    runner.upgrade(empty_url, "0017")
    found = _table(empty_url)
    assert found is not None
    assert found[0] == COLUMNS
    assert found[1] >= INDEXES

    runner.downgrade(empty_url, "0015")
    assert _table(empty_url) is None
    runner.upgrade(empty_url, "0017")
    assert _table(empty_url) is not None
