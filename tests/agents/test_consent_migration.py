"""Migration 0018 on both backends: character.tool_policies and the tool_approval table up,
down, and up again."""

from __future__ import annotations

from cognitia.migrations import runner
from tests.support.schema_shape import columns

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
    return columns(url, "tool_approval"), columns(url, "character") or set()


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
