"""retrieval.bulk_load: pgvector's HNSW index is dropped for the load and built once at
the end (SQLite has nothing to drop); searches are right during the load and after it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from cognitia.retrieval.providers.pgvector import literal
from cognitia.retrieval.types import ChunkInput, Scope
from cognitia.runtime import Runtime
from tests.retrieval.helpers import index_of

pytestmark = pytest.mark.asyncio

SCOPE = Scope(character_id="char-1")
DIMENSIONS = 384  # the fake embedder's (tests/retrieval/conftest.py)
FIRST = ["the owl hunts at night", "bees make honey in summer", "snow covers the mountain"]
SECOND = ["a kettle boils water for tea", "the ferry crosses the harbour", "moss grows on stones"]
postgres_only = pytest.mark.parametrize("db_backend", ["postgres"])


def chunks(texts: list[str]) -> list[ChunkInput]:
    return [ChunkInput(text=t, source_kind="document", source_id="d", scope=SCOPE) for t in texts]


async def nearest_texts(runtime: Runtime, query: str) -> list[str]:
    hits = await index_of(runtime).search(query=query, scopes=[SCOPE], mode="vector", limit=3)
    return [hit.text for hit in hits]


async def hnsw_index(runtime: Runtime) -> tuple[int, bool, str] | None:
    """(oid, valid, definition) of PostgreSQL's vector index; None when it is absent."""
    async with runtime.db.read() as session:
        found = (
            await session.execute(
                text(
                    "SELECT c.oid, i.indisvalid, pg_get_indexdef(c.oid) FROM pg_class c "
                    "JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = 'ix_chunk_embedding'"
                )
            )
        ).first()
    return None if found is None else (int(found[0]), bool(found[1]), str(found[2]))


async def nearest_plan(runtime: Runtime) -> str:
    """PostgreSQL's plan for a nearest-neighbour query when it may avoid a full scan."""
    async with runtime.db.read() as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        rows = await session.scalars(
            text(
                "EXPLAIN SELECT seq FROM chunk "
                "ORDER BY embedding <=> CAST(CAST(:v AS text) AS vector) LIMIT 3"
            ),
            {"v": literal([1.0] + [0.0] * (DIMENSIONS - 1))},
        )
        return "\n".join(rows)


async def test_searches_find_the_nearest_during_and_after_a_bulk_load(runtime: Runtime) -> None:
    async with index_of(runtime).bulk_load(dimensions=DIMENSIONS):
        await index_of(runtime).index(chunks(FIRST))
        assert (await nearest_texts(runtime, "owl at night"))[0] == FIRST[0]
        await index_of(runtime).index(chunks(SECOND))

    for value in FIRST + SECOND:
        assert (await nearest_texts(runtime, value))[0] == value


@postgres_only
async def test_the_hnsw_index_is_absent_during_the_load_and_built_after(
    runtime: Runtime,
) -> None:
    await index_of(runtime).index(chunks(FIRST))
    assert await hnsw_index(runtime) is not None

    async with index_of(runtime).bulk_load(dimensions=DIMENSIONS):
        assert await hnsw_index(runtime) is None
        await index_of(runtime).index(chunks(SECOND))
        assert "ix_chunk_embedding" not in await nearest_plan(runtime)

    index = await hnsw_index(runtime)
    assert index is not None
    _, valid, definition = index
    assert valid
    assert "USING hnsw (embedding vector_cosine_ops)" in definition
    assert "Index Scan using ix_chunk_embedding" in await nearest_plan(runtime)
    assert (await nearest_texts(runtime, "ferry harbour"))[0] == SECOND[1]
    assert (await nearest_texts(runtime, "snow mountain"))[0] == FIRST[2]


async def broken_load(runtime: Runtime) -> None:
    async with index_of(runtime).bulk_load(dimensions=DIMENSIONS):
        await index_of(runtime).index(chunks(FIRST))
        raise RuntimeError("load broke")


@postgres_only
async def test_the_index_is_built_again_when_the_load_fails(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError, match="load broke"):
        await broken_load(runtime)

    index = await hnsw_index(runtime)
    assert index is not None
    assert index[1]
    assert (await nearest_texts(runtime, "bees honey"))[0] == FIRST[1]


@postgres_only
async def test_reindex_builds_a_new_index_once(runtime: Runtime) -> None:
    await index_of(runtime).index(chunks(FIRST + SECOND))
    before = await hnsw_index(runtime)
    assert before is not None

    assert await index_of(runtime).reindex(batch_size=2) == 6

    after = await hnsw_index(runtime)
    assert after is not None
    assert after[0] != before[0]  # dropped and built anew, not maintained row by row
    assert after[1]
    assert (await nearest_texts(runtime, "kettle tea"))[0] == SECOND[0]
