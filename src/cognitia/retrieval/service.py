"""Index chunks, delete them by source, search them by scope (vector, keyword, hybrid).

`Retrieval` is built by each caller from the ports it holds: the database, the embedder
(asked for when something is embedded) and the vector index. The contract is in
types.py; docs/retrieval.md describes the tables and the ranking.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.db import Database
from cognitia.llm.ports import Embedder
from cognitia.retrieval import repository
from cognitia.retrieval.logic import reciprocal_rank_fusion
from cognitia.retrieval.ports import VectorIndex
from cognitia.retrieval.types import ChunkInput, Hit, Scope, Search, SearchMode, SourceKind

if TYPE_CHECKING:
    from cognitia.llm.registry import ModelRegistry

log = logging.getLogger(__name__)

EMBED_BATCH = 64
DELETE_BATCH = 1000
# Each ranking is fetched deeper than the answer: a chunk ranked 30th by one list and
# 3rd by the other belongs in a fused top 10, and RRF can only promote what it sees.
FETCH_FACTOR = 4
# Query embeddings a Retrieval keeps (the one that recalls for replies lives as long as
# its process): 384 Python floats are about 12 KiB, so some 3 MiB in all.
QUERY_CACHE_SIZE = 256

# The embedder is asked for when first needed, not when a Retrieval is built: making one
# opens an HTTP client (and fails on a misconfigured catalogue), which a deletion never
# needs and a reply's recall must meet inside its own error handling.
EmbedderSource = Callable[[], Embedder]


class RetrievalAdapters(Protocol):
    """What `Retrieval.over` reads: JobContext and the runtime have all three."""

    @property
    def db(self) -> Database: ...
    @property
    def models(self) -> ModelRegistry: ...
    @property
    def vectors(self) -> VectorIndex: ...


class Retrieval:
    """The retrieval service over one process's database, embedder and vector index."""

    def __init__(self, db: Database, embedder: EmbedderSource, vectors: VectorIndex) -> None:
        self.db = db
        self._embedder = embedder
        self._vectors = vectors
        # Query embeddings, done or on their way; insertion order: least recent first.
        self._queries: dict[tuple[str, str], asyncio.Future[list[float]]] = {}

    @classmethod
    def over(cls, adapters: RetrievalAdapters) -> Retrieval:
        """Over a process's adapters (a job's context, the runtime): its database, default
        embedder and vector index."""
        return cls(adapters.db, adapters.models.embedder, adapters.vectors)

    async def prepare(self) -> None:
        """Make the embedder now, in a thread: making its HTTP client loads the TLS
        certificates (about 0.2 s of CPU), which a long job should not do on the loop."""
        await asyncio.to_thread(self._embedder)

    async def index(
        self,
        chunks: Sequence[ChunkInput],
        *,
        session: AsyncSession | None = None,
        embedded: dict[str, list[float]] | None = None,
    ) -> list[str]:
        """Embed the chunks (in batches) and store rows and vectors in one unit of work (the
        caller's `session` when given); returns the new chunk ids in input order.

        A text repeated (boilerplate, a repetitive document) is embedded once; `embedded`
        carries the vectors of texts seen before across calls (the caller bounds its size),
        and receives the new ones."""
        if not chunks:
            return []
        embedder = self._embedder()
        texts = [c.embed_text or c.text for c in chunks]
        found = embedded if embedded is not None else {}
        missing = [text for text in dict.fromkeys(texts) if text not in found]
        # Inside a caller's transaction it must not wait for replies: it may hold the
        # writer's lock (embed before opening one: `embedded_for`).
        found.update(await self._embedded(embedder, missing, yielding=session is None))
        vectors = [found[text] for text in texts]
        if session is not None:
            return await self._write(session, chunks, vectors, embedder.name)
        async with self.db.unit_of_work() as own:
            return await self._write(own, chunks, vectors, embedder.name)

    async def embedded_for(self, texts: Sequence[str]) -> dict[str, list[float]]:
        """The vectors `index` would compute for these texts (chunks' `embed_text or
        text`), to pass to it as `embedded`: embedding before a unit of work opens keeps
        the writer's lock from waiting on the embedder."""
        return await self._embedded(self._embedder(), list(dict.fromkeys(texts)), yielding=True)

    async def _embedded(
        self, embedder: Embedder, texts: list[str], *, yielding: bool
    ) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for start in range(0, len(texts), EMBED_BATCH):
            batch = texts[start : start + EMBED_BATCH]
            if yielding:
                await self.db.priority.wait_turn()  # background indexing: replies first
            vectors = await embedder.embed(batch, background=True)
            found.update(zip(batch, vectors, strict=True))
        return found

    async def _write(
        self,
        session: AsyncSession,
        chunks: Sequence[ChunkInput],
        vectors: Sequence[Sequence[float]],
        model: str,
    ) -> list[str]:
        if vectors:
            await self._vectors.ensure(session, dimensions=len(vectors[0]))
        rows = await repository.add(session, chunks, embedding_model=model)
        await self._vectors.store(
            session, [(row.seq, v) for row, v in zip(rows, vectors, strict=True)]
        )
        return [row.id for row in rows]

    async def delete_source(
        self,
        *,
        source_kind: SourceKind,
        source_id: str,
        session: AsyncSession | None = None,
    ) -> int:
        """Remove a source's chunks with their keyword entries and vectors; returns how many.
        Without a `session`, in units of work of DELETE_BATCH chunks: a large document's
        tens of thousands would hold SQLite's write lock for seconds in one."""
        if session is not None:
            return await forget_source(session, source_kind=source_kind, source_id=source_id)
        removed = 0
        while True:
            async with self.db.unit_of_work() as own:
                count = await repository.delete_source(
                    own, source_kind=source_kind, source_id=source_id, limit=DELETE_BATCH
                )
            removed += count
            if count < DELETE_BATCH:
                return removed

    async def search(
        self,
        *,
        query: str,
        scopes: Sequence[Scope],
        limit: int = 10,
        mode: SearchMode = "hybrid",
        kinds: Sequence[SourceKind] | None = None,
    ) -> list[Hit]:
        """The chunks of any of `scopes` (and of `kinds`) that best answer `query`, best
        first. Vector scores are cosine similarities, keyword scores the backend's rank,
        hybrid scores reciprocal-rank-fusion sums."""
        found = await self.search_each(
            query, [Search(scopes=scopes, limit=limit, kinds=kinds)], mode=mode
        )
        return found[0]

    async def search_each(
        self, query: str, searches: Sequence[Search], *, mode: SearchMode = "hybrid"
    ) -> list[list[Hit]]:
        """One query in several places at once (each `Search` ranked on its own, as by
        `search`): the query is embedded once, and the places are searched side by side,
        each in its own session (the database works on them in parallel). Keyword
        rankings need no vector: they start while the query is still being embedded."""
        if not query.strip() or not any(_wanted(s) for s in searches):
            return [[] for _ in searches]
        embedder = self._embedder() if mode != "keyword" else None
        vector = self._query_embedding(embedder, query) if embedder is not None else None
        model = embedder.name if embedder is not None else ""
        return list(
            await asyncio.gather(
                *(self._search_one(query, vector, model, s, mode) for s in searches)
            )
        )

    async def _search_one(
        self,
        query: str,
        vector: asyncio.Future[list[float]] | None,
        model: str,
        search: Search,
        mode: SearchMode,
    ) -> list[Hit]:
        if not _wanted(search):
            return []
        where = repository.chunk_filter(search.scopes, search.kinds)
        fetch = search.limit * FETCH_FACTOR if mode == "hybrid" else search.limit
        # The vector and keyword rankings run side by side, each in its own session: the
        # database does both at once (SQLite on two connections' threads).
        wanted = []
        if vector is not None:
            wanted.append(self._nearest(vector, model, search, where, fetch))
        if mode != "vector":
            wanted.append(self._keyword(query, where, fetch))
        ranked = _rank(list(await asyncio.gather(*wanted)))[: search.limit]
        async with self.db.read() as session:
            rows = await repository.by_seq(session, [seq for seq, _ in ranked])
        return [
            Hit(
                chunk_id=rows[seq].id,
                source_kind=rows[seq].source_kind,  # type: ignore[arg-type]
                source_id=rows[seq].source_id,
                text=rows[seq].text,
                score=score,
                metadata=rows[seq].meta,
                scope=Scope(rows[seq].character_id, rows[seq].user_id, rows[seq].chat_id),
            )
            for seq, score in ranked
            if seq in rows
        ]

    async def _nearest(
        self,
        vector: asyncio.Future[list[float]],
        model: str,
        search: Search,
        where: ColumnElement[bool],
        fetch: int,
    ) -> list[tuple[int, float]]:
        # Shielded: a search given up on (recall's time budget) leaves the embedding to
        # finish for the next one (and for the other searches awaiting it).
        query = await asyncio.shield(vector)
        async with self.db.read() as session:
            nearest = await self._vectors.nearest(
                session,
                vector=query,
                scopes=search.scopes,
                where=repository.embedded_with(where, model),
                limit=fetch,
            )
        return [(seq, 1.0 - distance) for seq, distance in nearest]

    async def _keyword(
        self, query: str, where: ColumnElement[bool], fetch: int
    ) -> list[tuple[int, float]]:
        async with self.db.read() as session:
            return await repository.keyword(session, query=query, where=where, limit=fetch)

    def warm(self, query: str) -> None:
        """Start embedding `query` now, for a search that will ask for it soon (a reply's
        recall, while its message is being written); never raises."""
        if not query.strip():
            return
        try:
            self._query_embedding(self._embedder(), query)
        except Exception:  # the search itself will meet and report it
            log.debug("warming a query embedding failed", exc_info=True)

    def _query_embedding(self, embedder: Embedder, query: str) -> asyncio.Future[list[float]]:
        """Embedded once per embedder and text while it stays among the latest
        QUERY_CACHE_SIZE (a regenerated reply recalls with the same message); a failed
        embedding is asked again next time."""
        key = (embedder.name, query)
        future = self._queries.pop(key, None)
        if future is None or (future.done() and (future.cancelled() or future.exception())):
            future = asyncio.ensure_future(_first_vector(embedder, query))
            future.add_done_callback(_retrieved)
        self._queries[key] = future  # (re)inserted last: the most recent
        while len(self._queries) > QUERY_CACHE_SIZE:
            del self._queries[next(iter(self._queries))]
        return future

    @asynccontextmanager
    async def bulk_load(self, *, dimensions: int) -> AsyncIterator[None]:
        """Around writing many chunks' vectors (of `dimensions` floats) in many units of
        work: the vector index's search structure is dropped first and built once on
        leaving, also after an error, so the store never stays without it. On PostgreSQL
        that is the HNSW index; searches meanwhile scan exactly, and other writes of
        chunks wait for the build."""
        async with self.db.unit_of_work() as session:
            # First: a change of size makes the index anew, which must not survive the load.
            await self._vectors.ensure(session, dimensions=dimensions)
            await self._vectors.begin_bulk_load(session)
        try:
            yield
        finally:
            async with self.db.unit_of_work() as session:
                await self._vectors.end_bulk_load(session)

    async def reindex(
        self,
        *,
        batch_size: int = EMBED_BATCH,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Re-embed every chunk with the current embedder (after a change of embedding
        model), one short unit of work per batch, as a bulk load; calls progress(done, total)."""
        embedder = self._embedder()
        async with self.db.read() as session:
            total = await repository.count(session)
        done, after = 0, 0
        async with self.bulk_load(dimensions=embedder.dimensions):
            while True:
                async with self.db.read() as session:
                    page = await repository.page_after(session, after=after, size=batch_size)
                if not page:
                    break
                vectors = await embedder.embed([value for _, value in page], background=True)
                seqs = [seq for seq, _ in page]
                async with self.db.unit_of_work() as session:
                    await self._vectors.store(session, list(zip(seqs, vectors, strict=True)))
                    await repository.set_embedding_model(session, seqs, embedder.name)
                done, after = done + len(page), seqs[-1]
                if progress is not None:
                    progress(done, max(total, done))
        return done


def _wanted(search: Search) -> bool:
    return bool(search.scopes) and search.limit > 0


def _rank(rankings: list[list[tuple[int, float]]]) -> list[tuple[int, float]]:
    if len(rankings) == 1:
        return rankings[0]
    return reciprocal_rank_fusion([[seq for seq, _ in ranking] for ranking in rankings])


async def forget_source(session: AsyncSession, *, source_kind: SourceKind, source_id: str) -> int:
    """Remove a source's chunks (with their keyword entries and vectors) in the caller's
    unit of work; returns how many. Needs no port: vectors go with their rows."""
    return await repository.delete_source(session, source_kind=source_kind, source_id=source_id)


async def forget_character(session: AsyncSession, *, character_id: str) -> int:
    """Remove everything indexed in the character's scopes (it is being deleted)."""
    return await repository.delete_of_character(session, character_id)


async def embedder_mismatch(db: Database, *, current: str) -> str | None:
    """A line for the start-up log when chunks were embedded by another embedder than
    `current` (the catalogue's default): vector search leaves them out until
    `cognitia reindex`."""
    try:
        async with db.read() as session:
            counts = await repository.count_by_embedder(session)
    except DBAPIError:
        return None  # not migrated yet: nothing indexed, and start-up must not fail here
    others = {name: n for name, n in counts.items() if name != current}
    if not others:
        return None
    listed = ", ".join(f"{n} by {name!r}" for name, n in sorted(others.items()))
    return (
        f"{sum(others.values())} indexed chunks were embedded by another embedder than"
        f" {current!r} ({listed}): vector search leaves them out (keyword search still"
        " finds them) until `cognitia reindex` re-embeds them"
    )


async def _first_vector(embedder: Embedder, query: str) -> list[float]:
    return (await embedder.embed([query]))[0]


def _retrieved(future: asyncio.Future[list[float]]) -> None:
    """A warmed embedding nobody waited for may fail: read its error, so asyncio does not
    report it as never retrieved (the search that needs it asks again)."""
    if not future.cancelled():
        future.exception()
