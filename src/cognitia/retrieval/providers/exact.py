"""Exact vector search in Python over the embeddings stored in `chunk.embedding`.

The slow path, for SQLite without sqlite-vec (Pythons whose sqlite3 cannot load
extensions, or where pysqlite3-binary has no wheel): every chunk in the searched scopes
is read and compared in numpy, which is fine for thousands of chunks and slow for
millions.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import numpy as np
from sqlalchemy import ColumnElement, LargeBinary, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.models.chunk import Chunk
from cognitia.retrieval.types import Scope

# Not mapped on the model: a float32 blob on SQLite, vector(n) on PostgreSQL.
EMBEDDING: ColumnElement[bytes] = literal_column("chunk.embedding", LargeBinary)


def to_blob(vector: Sequence[float]) -> bytes:
    """float32 in machine order: the layout sqlite-vec reads, so both SQLite adapters
    share the stored column."""
    return array("f", vector).tobytes()


async def store_blobs(session: AsyncSession, rows: Sequence[tuple[int, Sequence[float]]]) -> None:
    if rows:
        await session.execute(
            text("UPDATE chunk SET embedding = :blob WHERE seq = :key"),
            [{"key": seq, "blob": to_blob(vector)} for seq, vector in rows],
        )


async def exact_nearest(
    session: AsyncSession,
    *,
    vector: Sequence[float],
    where: ColumnElement[bool],
    limit: int,
) -> list[tuple[int, float]]:
    """Cosine distance to every stored embedding of the same size that `where` keeps."""
    statement = select(Chunk.seq, EMBEDDING).where(where, func.length(EMBEDDING) == len(vector) * 4)
    rows = (await session.execute(statement)).all()
    if not rows:
        return []
    matrix = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32)
    matrix = matrix.reshape(len(rows), len(vector))
    distances = 1.0 - matrix @ np.asarray(vector, dtype=np.float32)
    order = np.argsort(distances, kind="stable")[:limit]
    return [(int(rows[i][0]), float(distances[i])) for i in order]


class ExactVectorIndex:
    """VectorIndex over `chunk.embedding` blobs, searched in numpy."""

    name = "exact"

    async def ensure(self, session: AsyncSession, *, dimensions: int) -> None:
        return None  # blobs of any size fit; a search compares vectors of its own size

    async def begin_bulk_load(self, session: AsyncSession) -> None:
        return None  # no index at all

    async def end_bulk_load(self, session: AsyncSession) -> None:
        return None

    async def store(
        self, session: AsyncSession, rows: Sequence[tuple[int, Sequence[float]]]
    ) -> None:
        await store_blobs(session, rows)

    async def nearest(
        self,
        session: AsyncSession,
        *,
        vector: Sequence[float],
        scopes: Sequence[Scope],
        where: ColumnElement[bool],
        limit: int,
    ) -> list[tuple[int, float]]:
        return await exact_nearest(session, vector=vector, where=where, limit=limit)
