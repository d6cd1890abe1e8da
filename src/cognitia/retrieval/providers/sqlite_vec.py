"""sqlite-vec: a vec0 table per embedding size in the SQLite file.

`chunk.embedding` (a float32 blob) is the source of truth; triggers made with each
`chunk_vec_<n>` table copy blobs of n floats into it and delete them with their chunk
(so a cascade from a deleted user cleans up too). A search asks vec0 for the nearest
`k` over all chunks and keeps those in scope; when the scopes hold too few of them it
scans the scoped chunks exactly with `vec_distance_cosine` (vec0 has no filtered KNN on
our scope columns). docs/retrieval.md explains the trade-off.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Float, Integer, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.models.chunk import Chunk
from cognitia.retrieval.providers.exact import EMBEDDING, store_blobs, to_blob

# vec0 refuses a larger k.
MAX_K = 4096


def table_name(dimensions: int) -> str:
    return f"chunk_vec_{int(dimensions)}"


def table_statements(dimensions: int) -> list[str]:
    """The vec0 table for one size and the triggers that keep it in step with `chunk`
    (the same statements as migration 0004 makes for 384)."""
    name, size = table_name(dimensions), int(dimensions) * 4
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING vec0("
        f"embedding float[{int(dimensions)}] distance_metric=cosine)",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ai AFTER INSERT ON chunk "
        f"WHEN length(new.embedding) = {size} BEGIN "
        f"INSERT INTO {name}(rowid, embedding) VALUES (new.seq, new.embedding); END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_au AFTER UPDATE OF embedding ON chunk BEGIN "
        f"DELETE FROM {name} WHERE rowid = old.seq; "
        f"INSERT INTO {name}(rowid, embedding) SELECT new.seq, new.embedding "
        f"WHERE length(new.embedding) = {size}; END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ad AFTER DELETE ON chunk BEGIN "
        f"DELETE FROM {name} WHERE rowid = old.seq; END",
    ]


async def _exists(session: AsyncSession, name: str) -> bool:
    found = await session.scalar(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": name},
    )
    return found is not None


class SqliteVecIndex:
    name = "sqlite-vec"

    def __init__(self) -> None:
        self._ready: set[int] = set()

    async def ensure(self, session: AsyncSession, *, dimensions: int) -> None:
        if dimensions in self._ready:
            return
        name = table_name(dimensions)
        if not await _exists(session, name):
            for statement in table_statements(dimensions):
                await session.execute(text(statement))
            # Vectors stored before the table existed (by the exact fallback).
            await session.execute(
                text(
                    f"INSERT INTO {name}(rowid, embedding) SELECT seq, embedding FROM chunk "
                    "WHERE length(embedding) = :size"
                ),
                {"size": dimensions * 4},
            )
        self._ready.add(dimensions)

    async def begin_bulk_load(self, session: AsyncSession) -> None:
        return None  # vec0 is a flat table: nothing to build afterwards

    async def end_bulk_load(self, session: AsyncSession) -> None:
        return None

    async def store(
        self, session: AsyncSession, rows: Sequence[tuple[int, Sequence[float]]]
    ) -> None:
        await store_blobs(session, rows)  # the triggers copy them into vec0

    async def nearest(
        self,
        session: AsyncSession,
        *,
        vector: Sequence[float],
        where: ColumnElement[bool],
        limit: int,
    ) -> list[tuple[int, float]]:
        name = table_name(len(vector))
        if await _exists(session, name):
            k = min(max(limit * 10, 200), MAX_K)
            found = await self._knn(session, name, vector=vector, where=where, k=k, limit=limit)
            if len(found) >= limit:
                return found
            # Counted only now: vec0 counts by reading every rowid (4 ms at 20k vectors,
            # linear in the table), and a search that found enough needs no count.
            total = await session.scalar(text(f"SELECT count(*) FROM {name}"))
            if k >= (total or 0):
                return found  # the KNN saw every vector: the scopes hold no more
        return await self._scan(session, vector=vector, where=where, limit=limit)

    async def _knn(  # noqa: PLR0913
        self,
        session: AsyncSession,
        name: str,
        *,
        vector: Sequence[float],
        where: ColumnElement[bool],
        k: int,
        limit: int,
    ) -> list[tuple[int, float]]:
        knn = (
            text(f"SELECT rowid, distance FROM {name} WHERE embedding MATCH :query AND k = :k")
            .bindparams(query=to_blob(vector), k=k)
            .columns(rowid=Integer, distance=Float)
            .subquery("knn")
        )
        statement = (
            select(Chunk.seq, knn.c.distance)
            .join_from(Chunk, knn, knn.c.rowid == Chunk.seq)
            .where(where)
            .order_by(knn.c.distance)
            .limit(limit)
        )
        return [(int(seq), float(d)) for seq, d in (await session.execute(statement)).all()]

    async def _scan(
        self,
        session: AsyncSession,
        *,
        vector: Sequence[float],
        where: ColumnElement[bool],
        limit: int,
    ) -> list[tuple[int, float]]:
        distance = func.vec_distance_cosine(EMBEDDING, to_blob(vector))
        statement = (
            select(Chunk.seq, distance)
            .where(where, func.length(EMBEDDING) == len(vector) * 4)
            .order_by(distance)
            .limit(limit)
        )
        return [(int(seq), float(d)) for seq, d in (await session.execute(statement)).all()]
