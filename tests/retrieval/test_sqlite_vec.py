"""sqlite-vec's nearest: a KNN in each searched scope's partition of the vec0 table, kept
to the filter, and the exact scan of the scopes when the filter leaves too few. SQLite only."""

from __future__ import annotations

import pytest

from cognitia.retrieval import repository
from cognitia.retrieval.providers.sqlite_vec import SqliteVecIndex
from cognitia.retrieval.repository import scope_filter
from cognitia.retrieval.types import ChunkInput, Scope, SourceKind
from cognitia.runtime import Runtime
from tests.retrieval.helpers import statements

pytestmark = [pytest.mark.asyncio, pytest.mark.parametrize("db_backend", ["sqlite"])]

DIMENSIONS = 384
NEAR, FAR = Scope(character_id="near"), Scope(character_id="far")


def axis(sign: float) -> list[float]:
    return [sign] + [0.0] * (DIMENSIONS - 1)


async def store(
    runtime: Runtime,
    scope: Scope,
    count: int,
    vector: list[float],
    kind: SourceKind = "document",
) -> list[int]:
    """`count` chunks of `scope` and `kind`, all with `vector`; their seqs."""
    chunks = [
        ChunkInput(text=f"chunk {i}", source_kind=kind, source_id="d", scope=scope)
        for i in range(count)
    ]
    async with runtime.db.unit_of_work() as session:
        await runtime.vectors.ensure(session, dimensions=DIMENSIONS)
        rows = await repository.add(session, chunks, embedding_model="fake")
        await runtime.vectors.store(session, [(row.seq, vector) for row in rows])
        return [row.seq for row in rows]


async def nearest(runtime: Runtime, scope: Scope, limit: int) -> list[tuple[int, float]]:
    async with runtime.db.read() as session:
        return await runtime.vectors.nearest(
            session, vector=axis(1.0), scopes=[scope], where=scope_filter([scope]), limit=limit
        )


async def test_a_search_reads_only_its_scopes_partition(runtime: Runtime) -> None:
    assert isinstance(runtime.vectors, SqliteVecIndex)
    seqs = await store(runtime, NEAR, 5, axis(1.0))
    await store(runtime, FAR, 300, axis(1.0))  # as near, but another scope's

    with statements(runtime) as sent:
        found = await nearest(runtime, NEAR, 5)

    assert sorted(seq for seq, _ in found) == seqs
    # The partition answered: no count, no scan.
    assert not [sql for sql, _ in sent if "count(*)" in sql.lower()]
    assert not [sql for sql, _ in sent if "vec_distance_cosine" in sql]


async def test_a_partition_smaller_than_k_answers_alone_when_the_filter_drops_rows(
    runtime: Runtime,
) -> None:
    await store(runtime, NEAR, 4, axis(1.0))  # documents: the filter leaves them out
    messages = await store(runtime, NEAR, 3, axis(-1.0), kind="message")
    where = repository.chunk_filter([NEAR], ["message"])

    with statements(runtime) as sent:  # k = 10: vec0 returns all 7 of the partition
        async with runtime.db.read() as session:
            found = await runtime.vectors.nearest(
                session, vector=axis(1.0), scopes=[NEAR], where=where, limit=5
            )

    assert sorted(seq for seq, _ in found) == messages
    # Fewer than k came back, so they were the whole partition: no count, no scan.
    assert not [sql for sql, _ in sent if "count(*)" in sql.lower()]
    assert not [sql for sql, _ in sent if "vec_distance_cosine" in sql]


async def test_rows_the_filter_drops_from_the_knn_are_made_up_by_an_exact_scan(
    runtime: Runtime,
) -> None:
    assert isinstance(runtime.vectors, SqliteVecIndex)
    await store(runtime, NEAR, 250, axis(1.0))  # documents, nearest to the query
    messages = await store(runtime, NEAR, 3, axis(-1.0), kind="message")
    where = repository.chunk_filter([NEAR], ["message"])

    async with runtime.db.read() as session:  # k = 6: the KNN sees only documents
        found = await runtime.vectors.nearest(
            session, vector=axis(1.0), scopes=[NEAR], where=where, limit=3
        )

    assert sorted(seq for seq, _ in found) == messages
    assert [distance for _, distance in found] == pytest.approx([2.0, 2.0, 2.0], abs=1e-5)


async def test_a_search_over_two_scopes_merges_their_nearest(runtime: Runtime) -> None:
    near = await store(runtime, NEAR, 2, axis(1.0))
    far = await store(runtime, FAR, 2, axis(-1.0))
    await store(runtime, Scope(character_id="other"), 2, axis(1.0))

    async with runtime.db.read() as session:
        found = await runtime.vectors.nearest(
            session,
            vector=axis(1.0),
            scopes=[NEAR, FAR],
            where=scope_filter([NEAR, FAR]),
            limit=3,
        )

    assert {seq for seq, _ in found[:2]} == set(near)
    assert found[2][0] in far  # not `other`'s, though it is nearer
    assert [d for _, d in found] == pytest.approx([0.0, 0.0, 2.0], abs=1e-5)
