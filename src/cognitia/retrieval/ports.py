"""The VectorIndex port: where chunk embeddings live and how the nearest are found.

Adapters (providers/): sqlite-vec in the SQLite file, pgvector (HNSW) in PostgreSQL, and
an exact search in Python over the stored embeddings for SQLite without sqlite-vec.
runtime.py picks one from the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.retrieval.types import Scope


class VectorIndex(Protocol):
    """Vectors of chunks, keyed by `chunk.seq`, searched by cosine distance.

    Everything runs inside the caller's session, so rows and their vectors are written in
    one unit of work. Deleting a chunk row removes its vector (a column, or a trigger).
    Vectors are L2-normalised (the Embedder port's promise).
    """

    name: str

    async def ensure(self, session: AsyncSession, *, dimensions: int) -> None:
        """Make the index hold vectors of this size (DDL when the embedder changed size:
        a vec0 table per size on SQLite; the column's type on PostgreSQL, which drops
        the vectors of the old size)."""
        ...

    async def begin_bulk_load(self, session: AsyncSession) -> None:
        """Stop maintaining a search structure that is cheaper built once than row by row
        (pgvector drops its HNSW index; the SQLite adapters do nothing). Searches stay
        exact meanwhile, and slower."""
        ...

    async def end_bulk_load(self, session: AsyncSession) -> None:
        """Build what `begin_bulk_load` dropped, over every stored vector. Safe to call
        when nothing was dropped."""
        ...

    async def store(
        self, session: AsyncSession, rows: Sequence[tuple[int, Sequence[float]]]
    ) -> None:
        """Set the vector of each (seq, vector)."""
        ...

    async def nearest(
        self,
        session: AsyncSession,
        *,
        vector: Sequence[float],
        scopes: Sequence[Scope],
        where: ColumnElement[bool],
        limit: int,
    ) -> list[tuple[int, float]]:
        """The `limit` chunks closest to `vector` among those matching `where` (a filter
        on the chunk table that keeps to `scopes`, and maybe to kinds or an embedder), as
        (seq, cosine distance), closest first. `scopes` lets an index read only their
        chunks' vectors (sqlite-vec's partitions); the others filter by `where` alone."""
        ...
