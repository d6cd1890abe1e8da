"""Migration 0015 on both backends: the coaching_session table up, down, and up again."""

from __future__ import annotations

from cognitia.migrations import runner
from tests.support.schema_shape import columns, indexes

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
    found = columns(url, "coaching_session")
    return None if found is None else (found, indexes(url, "coaching_session"))


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
    return columns(url, "chat") or set()


def test_0021_adds_chat_closed_at_and_comes_off_again(empty_url: str) -> None:
    runner.upgrade(empty_url, "0021")
    assert "closed_at" in _chat_columns(empty_url)

    runner.downgrade(empty_url, "0015")
    assert "closed_at" not in _chat_columns(empty_url)
    runner.upgrade(empty_url)
    assert "closed_at" in _chat_columns(empty_url)
