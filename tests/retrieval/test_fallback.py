"""SQLite without sqlite-vec: the stdlib driver and the exact search, then the vec0 table
made and filled once sqlite-vec is there. SQLite only: it is about the SQLite driver."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from cognitia.migrations import runner
from cognitia.retrieval.providers.exact import ExactVectorIndex
from cognitia.retrieval.providers.sqlite_vec import SqliteVecIndex
from cognitia.retrieval.types import ChunkInput, Hit, Scope
from cognitia.runtime import build_runtime
from tests.retrieval.conftest import retrieval_settings
from tests.retrieval.helpers import index_of
from tests.support.fake_upstream import FakeUpstream

SCOPE = Scope(user_id=None, character_id="c")
TEXTS = [
    "violins and cellos play in the orchestra",
    "the goalkeeper saved a penalty",
    "orchestra tickets sold out",
    "penalty kicks decide the final",
]


def chunks(texts: list[str]) -> list[ChunkInput]:
    return [ChunkInput(text=t, source_kind="document", source_id="d", scope=SCOPE) for t in texts]


async def vec_tables(runtime_db_url: str, tmp_path: Path, upstream: FakeUpstream) -> list[str]:
    runtime = build_runtime(retrieval_settings(runtime_db_url, tmp_path, upstream))
    try:
        async with runtime.db.read() as session:
            names = await session.scalars(
                text("SELECT name FROM sqlite_master WHERE name = 'chunk_vec_scoped_384'")
            )
            return list(names)
    finally:
        await runtime.close()


def test_without_sqlite_vec_search_is_exact_and_vec0_follows_later(
    tmp_path: Path, upstream_server: FakeUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}"
    settings = retrieval_settings(url, tmp_path, upstream_server)

    async def without_vec() -> list[Hit]:
        runtime = build_runtime(settings)
        try:
            assert isinstance(runtime.vectors, ExactVectorIndex)
            await index_of(runtime).index(chunks(TEXTS[:3]))
            return await index_of(runtime).search(query="orchestra", scopes=[SCOPE], mode="vector")
        finally:
            await runtime.close()

    async def with_vec() -> tuple[list[Hit], int]:
        runtime = build_runtime(settings)
        try:
            assert isinstance(runtime.vectors, SqliteVecIndex)
            await index_of(runtime).index(chunks(TEXTS[3:]))
            hits = await index_of(runtime).search(query="orchestra", scopes=[SCOPE], mode="vector")
            async with runtime.db.read() as session:
                count = await session.scalar(text("SELECT count(*) FROM chunk_vec_scoped_384"))
            return hits, int(count or 0)
        finally:
            await runtime.close()

    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "pysqlite3", None)  # as if it were not installed
        runner.upgrade(url)
        exact = asyncio.run(without_vec())
        assert asyncio.run(vec_tables(url, tmp_path, upstream_server)) == []

    indexed, count = asyncio.run(with_vec())

    assert count == 4  # the three stored by the fallback were copied in
    assert [h.text for h in exact][:2] == [TEXTS[2], TEXTS[0]]
    assert [h.chunk_id for h in indexed][:2] == [h.chunk_id for h in exact][:2]
    assert [h.score for h in indexed][:2] == pytest.approx([h.score for h in exact][:2], abs=1e-5)
