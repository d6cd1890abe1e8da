"""sqlite-vec's nearest: the KNN over the whole vec0 table, kept to the scopes, and the
exact scan of the scopes when the KNN leaves too few of them. SQLite only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from cognitia.retrieval import repository
from cognitia.retrieval.providers.sqlite_vec import SqliteVecIndex
from cognitia.retrieval.repository import scope_filter
from cognitia.retrieval.types import ChunkInput, Scope
from cognitia.runtime import Runtime

pytestmark = [pytest.mark.asyncio, pytest.mark.parametrize("db_backend", ["sqlite"])]

DIMENSIONS = 384
NEAR, FAR = Scope(character_id="near"), Scope(character_id="far")


def axis(sign: float) -> list[float]:
    return [sign] + [0.0] * (DIMENSIONS - 1)


async def store(runtime: Runtime, scope: Scope, count: int, vector: list[float]) -> list[int]:
    """`count` chunks of `scope`, all with `vector`; their seqs."""
    chunks = [
        ChunkInput(text=f"chunk {i}", source_kind="document", source_id="d", scope=scope)
        for i in range(count)
    ]
    async with runtime.db.unit_of_work() as session:
        await runtime.vectors.ensure(session, dimensions=DIMENSIONS)
        rows = await repository.add(session, chunks, embedding_model="fake")
        await runtime.vectors.store(session, [(row.seq, vector) for row in rows])
        return [row.seq for row in rows]


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL the runtime's engine sends meanwhile."""
    sent: list[str] = []

    def record(*args: object) -> None:
        sent.append(str(args[2]))

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def nearest(runtime: Runtime, scope: Scope, limit: int) -> list[tuple[int, float]]:
    async with runtime.db.read() as session:
        return await runtime.vectors.nearest(
            session, vector=axis(1.0), where=scope_filter([scope]), limit=limit
        )


async def test_a_search_the_knn_answers_does_not_count_the_table(runtime: Runtime) -> None:
    assert isinstance(runtime.vectors, SqliteVecIndex)
    seqs = await store(runtime, NEAR, 5, axis(1.0))
    await store(runtime, FAR, 300, axis(-1.0))

    with statements(runtime) as sent:
        found = await nearest(runtime, NEAR, 5)

    assert sorted(seq for seq, _ in found) == seqs
    # Counting vec0 reads every rowid: linear in the table, and not needed here.
    assert not [s for s in sent if "count(*)" in s.lower()]


async def test_a_scope_beyond_the_knns_k_is_scanned_exactly(runtime: Runtime) -> None:
    assert isinstance(runtime.vectors, SqliteVecIndex)
    await store(runtime, NEAR, 250, axis(1.0))
    seqs = await store(runtime, FAR, 3, axis(-1.0))

    found = await nearest(runtime, FAR, 3)  # k = 200: the KNN sees only NEAR's chunks

    assert sorted(seq for seq, _ in found) == seqs
    assert [distance for _, distance in found] == pytest.approx([2.0, 2.0, 2.0], abs=1e-5)
