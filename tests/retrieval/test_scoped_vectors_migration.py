"""Migration 0011 on a SQLite file with sqlite-vec: the unpartitioned vec0 table of 0004
becomes a table partitioned by scope, with every stored vector, and searches find them."""

from __future__ import annotations

import asyncio
import sqlite3
from array import array
from pathlib import Path

import pytest
from sqlalchemy import text

from cognitia.migrations import runner
from cognitia.retrieval.types import Scope
from cognitia.runtime import build_runtime
from tests.retrieval.conftest import retrieval_settings
from tests.support.fake_upstream import FakeUpstream

pysqlite3 = pytest.importorskip("pysqlite3.dbapi2")
sqlite_vec = pytest.importorskip("sqlite_vec")

SCOPE = Scope(character_id="c", user_id="u")


def insert_chunk(path: Path, seq: int, vector: list[float]) -> None:
    """A chunk row as 0008's schema holds it (0004's triggers copy its vector into vec0)."""
    connection = pysqlite3.connect(path)
    connection.enable_load_extension(True)
    sqlite_vec.load(connection)
    columns = {row[1]: row for row in connection.execute("PRAGMA table_info(chunk)")}
    values = {
        "seq": seq,
        "id": f"chunk-{seq}",
        "source_kind": "message",
        "source_id": "m",
        "character_id": SCOPE.character_id,
        "user_id": SCOPE.user_id,
        "position": 0,
        "text": f"remembered thing {seq}",
        "token_count": 3,
        "metadata": "{}",
        "embedding_model": "fake",
        "embedding": array("f", vector).tobytes(),
    }
    for name, (_, _, _, notnull, default, _) in columns.items():
        if name not in values and notnull and default is None:
            values[name] = "2026-12-06 00:00:00" if name.endswith("_at") else ""
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    connection.execute(f"INSERT INTO chunk ({names}) VALUES ({marks})", list(values.values()))
    connection.commit()
    connection.close()


def tables(path: Path) -> set[str]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}
    finally:
        connection.close()


def test_0011_moves_vectors_into_the_scoped_table(
    tmp_path: Path, upstream_server: FakeUpstream
) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    runner.upgrade(url, "0008")
    vector = [1.0] + [0.0] * 383
    insert_chunk(path, 7, vector)
    assert "chunk_vec_384" in tables(path)

    runner.upgrade(url)

    assert "chunk_vec_384" not in tables(path)
    assert {"chunk_vec_scoped_384", "chunk_fts_terms"} <= tables(path)

    async def nearest() -> list[tuple[int, float]]:
        runtime = build_runtime(retrieval_settings(url, tmp_path, upstream_server))
        try:
            async with runtime.db.read() as session:
                keyed = await session.scalar(
                    text("SELECT scope FROM chunk_vec_scoped_384 WHERE rowid = 7")
                )
                assert keyed == "c|u|"
                return await runtime.vectors.nearest(
                    session,
                    vector=vector,
                    scopes=[SCOPE],
                    where=text("chunk.character_id = 'c' AND chunk.user_id = 'u'"),
                    limit=1,
                )
        finally:
            await runtime.close()

    assert asyncio.run(nearest()) == [(7, pytest.approx(0.0, abs=1e-6))]
