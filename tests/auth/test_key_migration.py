"""Migration 0008: keys made before scopes existed keep full scope and never expire."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cognitia.migrations import runner

NOW = "2026-01-01 00:00:00.000000+00:00"


def _insert_a_key(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO user (id, email, password_hash, first_name, last_name, role,"
            " is_active, created_at, updated_at)"
            " VALUES ('u1', 'old@example.com', 'x', '', '', 'user', 1, ?, ?)",
            (NOW, NOW),
        )
        db.execute(
            "INSERT INTO api_key (id, user_id, name, prefix, key_hash, created_at)"
            " VALUES ('k1', 'u1', 'old', 'cgk_abcdefgh', ?, ?)",
            ("0" * 64, NOW),
        )


def _key_row(path: Path) -> tuple[object, ...]:
    with sqlite3.connect(path) as db:
        row: tuple[object, ...] = db.execute(
            "SELECT name, scope, expires_at FROM api_key WHERE id = 'k1'"
        ).fetchone()
        return row


def _columns(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[1] for row in db.execute("PRAGMA table_info(api_key)")}


def test_existing_keys_keep_full_scope(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    runner.upgrade(url, "0007")
    _insert_a_key(path)

    runner.upgrade(url, "0008")

    assert _key_row(path) == ("old", "full", None)
    runner.downgrade(url, "0007")
    assert {"scope", "expires_at"}.isdisjoint(_columns(path))
    assert "key_hash" in _columns(path)
