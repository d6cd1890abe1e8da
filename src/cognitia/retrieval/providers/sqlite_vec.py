"""sqlite-vec: a vec0 table per embedding size in the SQLite file, partitioned by scope.

`chunk.embedding` (a float32 blob) is the source of truth; triggers made with each
`chunk_vec_scoped_<n>` table copy blobs of n floats into it, with the chunk's scope as
the partition key, and delete them with their chunk (so a cascade from a deleted user
cleans up too). vec0 shards a partitioned table by key, so a KNN reads only the searched
scope's vectors: a person's 10,000 memories, not every chunk of every person (an
unpartitioned table ranked them all and kept the scope's among the first k). A search
asks each scope's partition for its nearest and keeps those the filter allows (kinds,
the embedder); when that leaves too few and the scopes hold more, it scans them exactly
with `vec_distance_cosine`. docs/retrieval.md explains the trade-off.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Float, Integer, and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.models.chunk import Chunk
from cognitia.retrieval.providers.exact import EMBEDDING, store_blobs, to_blob
from cognitia.retrieval.types import Scope

# vec0 refuses a larger k.
MAX_K = 4096
# The partition key of a chunk: its scope's three ids ('' for None). The same expression
# in SQL (triggers, fills) and in Python (searches): `scope_key`.
_KEY_SQL = (
    "coalesce({row}character_id, '') || '|' || coalesce({row}user_id, '') || '|' "
    "|| coalesce({row}chat_id, '')"
)


def scope_key(scope: Scope) -> str:
    return "|".join(value or "" for value in (scope.character_id, scope.user_id, scope.chat_id))


def table_name(dimensions: int) -> str:
    return f"chunk_vec_scoped_{int(dimensions)}"


def table_statements(dimensions: int) -> list[str]:
    """The vec0 table for one size and the triggers that keep it in step with `chunk`
    (the same statements as migration 0011 makes for the sizes it finds)."""
    name, size = table_name(dimensions), int(dimensions) * 4
    new_key = _KEY_SQL.format(row="new.")
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING vec0(scope text partition key, "
        f"embedding float[{int(dimensions)}] distance_metric=cosine)",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ai AFTER INSERT ON chunk "
        f"WHEN length(new.embedding) = {size} BEGIN "
        f"INSERT INTO {name}(rowid, scope, embedding) "
        f"VALUES (new.seq, {new_key}, new.embedding); END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_au "
        f"AFTER UPDATE OF embedding, character_id, user_id, chat_id ON chunk BEGIN "
        f"DELETE FROM {name} WHERE rowid = old.seq; "
        f"INSERT INTO {name}(rowid, scope, embedding) SELECT new.seq, {new_key}, new.embedding "
        f"WHERE length(new.embedding) = {size}; END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ad AFTER DELETE ON chunk BEGIN "
        f"DELETE FROM {name} WHERE rowid = old.seq; END",
        # Vectors stored before the table existed (by the exact fallback, or an older table).
        f"INSERT INTO {name}(rowid, scope, embedding) "
        f"SELECT seq, {_KEY_SQL.format(row='')}, embedding FROM chunk "
        f"WHERE length(embedding) = {size} AND seq NOT IN (SELECT rowid FROM {name})",
    ]


def _sized(dimensions: int) -> ColumnElement[bool]:
    """Chunks whose stored vector has this size (the others belong to another embedder)."""
    return func.length(EMBEDDING) == dimensions * 4


async def _exists(session: AsyncSession, name: str) -> bool:
    found = await session.scalar(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": name},
    )
    return found is not None


class SqliteVecIndex:
    name = "sqlite-vec"

    def __init__(self) -> None:
        # Sizes whose vec0 table is known to exist (tables are made, never dropped).
        self._ready: set[int] = set()

    async def _has_table(self, session: AsyncSession, dimensions: int) -> bool:
        if dimensions not in self._ready and await _exists(session, table_name(dimensions)):
            self._ready.add(dimensions)
        return dimensions in self._ready

    async def ensure(self, session: AsyncSession, *, dimensions: int) -> None:
        if dimensions in self._ready:
            return
        if not await _exists(session, table_name(dimensions)):
            for statement in table_statements(dimensions):
                await session.execute(text(statement))
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
        scopes: Sequence[Scope],
        where: ColumnElement[bool],
        limit: int,
    ) -> list[tuple[int, float]]:
        name = table_name(len(vector))
        if await self._has_table(session, len(vector)):
            # Twice the limit: room for rows of the scope that `where` leaves out (other
            # kinds, another embedder's vectors during a reindex) without a second pass.
            k = min(2 * limit, MAX_K)
            hits: list[tuple[int, float]] = []
            whole = True  # every searched partition held fewer than k vectors
            for scope in dict.fromkeys(scopes):
                found, partition_whole = await self._knn(session, name, vector, scope, where, k)
                hits += found
                whole = whole and partition_whole
            nearest = heapq.nsmallest(limit, hits, key=lambda hit: hit[1])
            if whole or len(nearest) >= limit:
                return nearest  # ranked all of the scopes' vectors, or found enough
            # Counted only now (through the scope's index, not vec0): a search that found
            # enough needs no count.
            held = await session.scalar(
                select(func.count()).select_from(Chunk).where(where, _sized(len(vector)))
            )
            if len(nearest) >= (held or 0):
                return nearest  # every chunk the filter allows was found: there is no more
        return await self._scan(session, vector=vector, where=where, limit=limit)

    async def _knn(  # noqa: PLR0913 - the query's parts
        self,
        session: AsyncSession,
        name: str,
        vector: Sequence[float],
        scope: Scope,
        where: ColumnElement[bool],
        k: int,
    ) -> tuple[list[tuple[int, float]], bool]:
        """The partition's nearest that `where` allows, and whether vec0 returned fewer
        than k (then they are all of the partition's vectors, and nothing is missed)."""
        knn = (
            text(
                f"SELECT rowid, distance FROM {name} "
                "WHERE embedding MATCH :query AND k = :k AND scope = :scope"
            )
            .bindparams(query=to_blob(vector), k=k, scope=scope_key(scope))
            .columns(rowid=Integer, distance=Float)
            .subquery("knn")
        )
        # Outer join, the filter in ON: every vec0 row comes back (counted), the chunks
        # the filter leaves out with a NULL seq.
        statement = (
            select(Chunk.seq, knn.c.distance)
            .select_from(knn)
            .outerjoin(Chunk, and_(knn.c.rowid == Chunk.seq, where))
            .order_by(knn.c.distance)
        )
        rows = (await session.execute(statement)).all()
        kept = [(int(seq), float(d)) for seq, d in rows if seq is not None]
        return kept, len(rows) < k

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
            .where(where, _sized(len(vector)))
            .order_by(distance)
            .limit(limit)
        )
        return [(int(seq), float(d)) for seq, d in (await session.execute(statement)).all()]
