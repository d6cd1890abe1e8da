"""Migration 0017 on both backends: the mcp_server table up, down, and up again."""

from __future__ import annotations

from cognitia.migrations import runner
from tests.support.schema_shape import columns, indexes

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
    found = columns(url, "mcp_server")
    return None if found is None else (found, indexes(url, "mcp_server"))


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
