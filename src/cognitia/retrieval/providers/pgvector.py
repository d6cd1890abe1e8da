"""pgvector: `chunk.embedding vector(n)` with an HNSW index (cosine) in PostgreSQL.

Filtered searches use pgvector 0.8's iterative index scans, so a scope that holds few of
the table's chunks still gets its `limit` nearest instead of what survives the filter
out of the index's first `ef_search` candidates.

The HNSW index is maintained row by row, which is slow for many rows at once (a graph
insert per vector). A bulk load (`retrieval.service.bulk_load`, used by `cognitia
reindex`) drops it first and builds it once at the end, with `maintenance_work_mem` large
enough to hold the graph in memory: when the graph outgrows it, pgvector goes on inserting
on disk, about as slowly as row by row.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Float, Text, cast, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import UserDefinedType

from cognitia.models.chunk import Chunk
from cognitia.retrieval.types import Scope


class Vector(UserDefinedType[str]):
    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "vector"


def literal(vector: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(v)) for v in vector) + "]"


def _query_vector(vector: Sequence[float]) -> ColumnElement[str]:
    # Sent as text and cast on the server: asyncpg has no codec for `vector`.
    return cast(cast(literal(vector), Text), Vector())


INDEX = "ix_chunk_embedding"
CREATE_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON chunk USING hnsw (embedding vector_cosine_ops)"
)


class PgVectorIndex:
    name = "pgvector"

    def __init__(self, *, build_memory_mb: int = 1024, build_workers: int | None = None) -> None:
        self.build_memory_mb = build_memory_mb
        self.build_workers = build_workers

    async def ensure(self, session: AsyncSession, *, dimensions: int) -> None:
        # Asked every time (one catalogue lookup): another process may have reindexed.
        current = await session.scalar(
            text(
                "SELECT atttypmod FROM pg_attribute "
                "WHERE attrelid = 'chunk'::regclass AND attname = 'embedding'"
            )
        )
        if current != dimensions:
            # Another embedder size: the old vectors cannot be kept (cognitia reindex).
            await session.execute(text(f"DROP INDEX IF EXISTS {INDEX}"))
            await session.execute(
                text(
                    f"ALTER TABLE chunk ALTER COLUMN embedding TYPE vector({int(dimensions)}) "
                    "USING NULL"
                )
            )
            await session.execute(text(CREATE_INDEX))

    async def begin_bulk_load(self, session: AsyncSession) -> None:
        await session.execute(text(f"DROP INDEX IF EXISTS {INDEX}"))

    async def end_bulk_load(self, session: AsyncSession) -> None:
        # SET LOCAL (is_local): the pooled connection keeps the server's defaults after.
        settings = {"maintenance_work_mem": f"{int(self.build_memory_mb)}MB"}
        if self.build_workers is not None:
            settings["max_parallel_maintenance_workers"] = str(int(self.build_workers))
        for name, value in settings.items():
            await session.execute(
                text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value}
            )
        await session.execute(text(CREATE_INDEX))

    async def store(
        self, session: AsyncSession, rows: Sequence[tuple[int, Sequence[float]]]
    ) -> None:
        if rows:
            await session.execute(
                text(
                    "UPDATE chunk SET embedding = CAST(CAST(:v AS text) AS vector) WHERE seq = :key"
                ),
                [{"key": seq, "v": literal(vector)} for seq, vector in rows],
            )

    async def nearest(
        self,
        session: AsyncSession,
        *,
        vector: Sequence[float],
        scopes: Sequence[Scope],
        where: ColumnElement[bool],
        limit: int,
    ) -> list[tuple[int, float]]:
        await session.execute(text("SET LOCAL hnsw.iterative_scan = strict_order"))
        embedding = literal_column("chunk.embedding", Vector())
        distance = embedding.op("<=>", return_type=Float)(_query_vector(vector))
        statement = (
            select(Chunk.seq, distance)
            .where(where, embedding.is_not(None))
            .order_by(distance)
            .limit(limit)
        )
        return [(int(seq), float(d)) for seq, d in (await session.execute(statement)).all()]
