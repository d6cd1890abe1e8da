"""Indexing, search by mode, scope and kind, deletion, on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select, text

from cognitia.models.chunk import Chunk
from cognitia.models.user import User
from cognitia.retrieval.providers.exact import ExactVectorIndex
from cognitia.retrieval.repository import scope_filter
from cognitia.retrieval.types import ChunkInput, Scope, SourceKind
from cognitia.runtime import Runtime
from tests.retrieval.helpers import index_of
from tests.support.factories import create_user

pytestmark = pytest.mark.asyncio

CHARACTER = "char-1"
FACTS = [
    "The lighthouse keeper feeds seven cats every morning",
    "Quantum tunnelling lets particles cross energy barriers",
    "Our bakery sells sourdough bread on Saturdays",
    "The river flooded the valley village last spring",
]


def chunk(
    value: str,
    scope: Scope,
    *,
    source_id: str = "doc-1",
    kind: SourceKind = "document",
    position: int = 0,
) -> ChunkInput:
    return ChunkInput(
        text=value, source_kind=kind, source_id=source_id, scope=scope, position=position
    )


async def index_facts(runtime: Runtime, scope: Scope, *, source_id: str = "doc-1") -> list[str]:
    return await index_of(runtime).index(
        [chunk(f, scope, source_id=source_id, position=i) for i, f in enumerate(FACTS)],
    )


@pytest.mark.parametrize("mode", ["vector", "keyword", "hybrid"])
async def test_each_mode_finds_the_chunk_that_answers(runtime: Runtime, mode: str) -> None:
    scope = Scope(character_id=CHARACTER)
    ids = await index_facts(runtime, scope)

    hits = await index_of(runtime).search(
        query="how many cats does the lighthouse keeper have", scopes=[scope], mode=mode
    )

    assert hits[0].chunk_id == ids[0]
    assert hits[0].text == FACTS[0]
    assert hits[0].source_kind == "document"
    assert hits[0].source_id == "doc-1"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


async def test_index_returns_ids_in_order_and_stores_the_fields(runtime: Runtime) -> None:
    scope = Scope(character_id=CHARACTER, chat_id="chat-1")
    item = ChunkInput(
        text="alpha beta",
        source_kind="message",
        source_id="m-1",
        scope=scope,
        position=3,
        metadata={"heading": "Intro"},
    )

    [chunk_id] = await index_of(runtime).index([item])

    async with runtime.db.read() as session:
        row = await session.scalar(select(Chunk).where(Chunk.id == chunk_id))
    assert row is not None
    assert (row.source_kind, row.source_id, row.position) == ("message", "m-1", 3)
    assert (row.character_id, row.user_id, row.chat_id) == (CHARACTER, None, "chat-1")
    assert row.meta == {"heading": "Intro"}
    assert row.embedding_model == "fake"
    assert row.token_count == 2
    hits = await index_of(runtime).search(query="alpha", scopes=[scope])
    assert hits[0].metadata == {"heading": "Intro"}


async def test_scopes_never_leak_between_users_or_characters(runtime: Runtime) -> None:
    alice, bob = await create_user(runtime), await create_user(runtime)
    mine = Scope(character_id=CHARACTER, user_id=alice.id)
    theirs = Scope(character_id=CHARACTER, user_id=bob.id)
    other_character = Scope(character_id="char-2", user_id=alice.id)
    documents = Scope(character_id=CHARACTER)
    await index_of(runtime).index([chunk("my cat is called Pixel", mine, source_id="a")])
    await index_of(runtime).index([chunk("my cat is called Nimbus", theirs, source_id="b")])
    await index_of(runtime).index([chunk("my cat is called Zorro", other_character, source_id="c")])
    await index_of(runtime).index([chunk("cats are called felines", documents, source_id="d")])

    for mode in ("vector", "keyword", "hybrid"):
        hits = await index_of(runtime).search(query="cat called", scopes=[mine], mode=mode)
        assert [h.source_id for h in hits] == ["a"], mode
    both = await index_of(runtime).search(query="cat called", scopes=[mine, documents])
    assert sorted(h.source_id for h in both) == ["a", "d"]
    assert await index_of(runtime).search(query="cat called", scopes=[]) == []


async def test_a_scope_requires_the_fields_it_leaves_out_to_be_empty(runtime: Runtime) -> None:
    await index_of(runtime).index(
        [chunk("shared words here", Scope(character_id=CHARACTER, chat_id="x"))]
    )

    assert (
        await index_of(runtime).search(query="shared words", scopes=[Scope(character_id=CHARACTER)])
        == []
    )
    found = await index_of(runtime).search(
        query="shared words", scopes=[Scope(character_id=CHARACTER, chat_id="x")]
    )
    assert len(found) == 1


async def test_kinds_filter(runtime: Runtime) -> None:
    scope = Scope(character_id=CHARACTER)
    await index_of(runtime).index(
        [
            chunk("garden tomatoes ripen in August", scope, kind="document", source_id="d"),
            chunk("garden tomatoes were eaten by birds", scope, kind="memory", source_id="m"),
        ],
    )

    for mode in ("vector", "keyword", "hybrid"):
        hits = await index_of(runtime).search(
            query="garden tomatoes", scopes=[scope], kinds=["memory"], mode=mode
        )
        assert [h.source_id for h in hits] == ["m"], mode


async def test_limit_and_keyword_syntax_in_queries(runtime: Runtime) -> None:
    scope = Scope(character_id=CHARACTER)
    await index_facts(runtime, scope)

    assert len(await index_of(runtime).search(query="the", scopes=[scope], limit=2)) <= 2
    odd = await index_of(runtime).search(
        query='cats" OR NEAR(( -bread* AND', scopes=[scope], mode="keyword"
    )
    assert odd
    assert await index_of(runtime).search(query="  ", scopes=[scope]) == []


async def keyword_entries(runtime: Runtime, word: str) -> int:
    async with runtime.db.read() as session:
        if runtime.db.is_sqlite:
            statement = "SELECT count(*) FROM chunk_fts WHERE chunk_fts MATCH :w"
        else:
            statement = "SELECT count(*) FROM chunk WHERE tsv @@ to_tsquery('english', :w)"
        return int(await session.scalar(text(statement), {"w": word}) or 0)


async def vector_entries(runtime: Runtime) -> int:
    async with runtime.db.read() as session:
        if runtime.db.is_sqlite:
            tables = await session.scalars(
                text("SELECT name FROM sqlite_master WHERE name = 'chunk_vec_scoped_384'")
            )
            if tables.first() is None:  # the exact fallback: vectors live in the rows
                statement = "SELECT count(*) FROM chunk WHERE embedding IS NOT NULL"
            else:
                statement = "SELECT count(*) FROM chunk_vec_scoped_384"
        else:
            statement = "SELECT count(*) FROM chunk WHERE embedding IS NOT NULL"
        return int(await session.scalar(text(statement)) or 0)


async def test_delete_source_removes_rows_keyword_entries_and_vectors(runtime: Runtime) -> None:
    scope = Scope(character_id=CHARACTER)
    await index_facts(runtime, scope, source_id="gone")
    await index_of(runtime).index([chunk("sourdough starter recipe", scope, source_id="kept")])
    assert await keyword_entries(runtime, "sourdough") == 2
    assert await vector_entries(runtime) == 5

    removed = await index_of(runtime).delete_source(source_kind="document", source_id="gone")

    assert removed == 4
    assert await keyword_entries(runtime, "sourdough") == 1
    assert await keyword_entries(runtime, "lighthouse") == 0
    assert await vector_entries(runtime) == 1
    hits = await index_of(runtime).search(query="lighthouse cats sourdough", scopes=[scope])
    assert [h.source_id for h in hits] == ["kept"]
    assert await index_of(runtime).delete_source(source_kind="message", source_id="kept") == 0


async def test_deleting_a_user_deletes_their_chunks(runtime: Runtime) -> None:
    user = await create_user(runtime)
    scope = Scope(character_id=CHARACTER, user_id=user.id)
    await index_facts(runtime, scope)
    await index_of(runtime).index(
        [chunk("lighthouse", Scope(character_id=CHARACTER), source_id="x")]
    )

    async with runtime.db.unit_of_work() as session:
        await session.delete(await session.get(User, user.id))

    async with runtime.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Chunk)) == 1
    assert await keyword_entries(runtime, "lighthouse") == 1
    assert await vector_entries(runtime) == 1


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
        sum(x * x for x in a) * sum(y * y for y in b)
    )


async def test_the_index_and_the_exact_search_agree(runtime: Runtime) -> None:
    scope = Scope(character_id=CHARACTER)
    texts = [f"{word} river valley story number {i}" for i, word in enumerate(FACTS)]
    texts += FACTS
    await index_of(runtime).index([chunk(t, scope, position=i) for i, t in enumerate(texts)])
    embedder = runtime.models.embedder()
    query = (await embedder.embed(["river flooded village"]))[0]
    vectors = await embedder.embed(texts)
    expected = sorted(range(len(texts)), key=lambda i: -cosine(query, vectors[i]))[:5]

    async with runtime.db.read() as session:
        found = await runtime.vectors.nearest(
            session, vector=query, scopes=[scope], where=scope_filter([scope]), limit=5
        )
        seqs = [seq for seq, _ in found]
        rows = {r.seq: r.position for r in await session.scalars(select(Chunk))}
        if runtime.db.is_sqlite:
            exact = await ExactVectorIndex().nearest(
                session, vector=query, scopes=[scope], where=scope_filter([scope]), limit=5
            )
            assert [seq for seq, _ in exact] == seqs
            assert [d for _, d in exact] == pytest.approx([d for _, d in found], abs=1e-5)
    assert [rows[seq] for seq in seqs] == expected
    assert found[0][1] == pytest.approx(1 - cosine(query, vectors[expected[0]]), abs=1e-5)


async def test_embed_text_drives_vectors_and_text_drives_keywords(runtime: Runtime) -> None:
    """A chunk can be keyword-indexed with context but embedded on its own words."""
    scope = Scope(character_id=CHARACTER)
    await index_facts(runtime, scope)
    [special] = await index_of(runtime).index(
        [
            ChunkInput(
                text="Earlier: the weather. Now: zebra crossings painted yellow",
                embed_text="zebra crossings painted yellow",
                source_kind="message",
                source_id="m-9",
                scope=scope,
            )
        ],
    )
    by_vector = await index_of(runtime).search(
        query="zebra crossings painted yellow", scopes=[scope], mode="vector"
    )
    assert by_vector[0].chunk_id == special
    by_keyword = await index_of(runtime).search(query="weather", scopes=[scope], mode="keyword")
    assert [h.chunk_id for h in by_keyword] == [special]
    # Reindexing embeds the same input again, not the keyword text.
    await index_of(runtime).reindex()
    again = await index_of(runtime).search(
        query="zebra crossings painted yellow", scopes=[scope], mode="vector"
    )
    assert again[0].chunk_id == special
    assert again[0].score == pytest.approx(by_vector[0].score, rel=1e-4)


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_keyword_search_leaves_out_words_that_half_the_chunks_hold(runtime: Runtime) -> None:
    """bm25 gives such a word no weight (FTS5 clamps its IDF): chunks that match only on
    it are not worth scoring. A query of nothing but such words still finds them."""
    scope = Scope(character_id=CHARACTER)
    common = [f"the note number {n}" for n in range(6)]
    ids = await index_of(runtime).index([chunk(t, scope, position=i) for i, t in enumerate(common)])
    [river] = await index_of(runtime).index([chunk("the river rose", scope, source_id="doc-2")])

    rare_and_common = await index_of(runtime).search(
        query="the river", scopes=[scope], mode="keyword", limit=10
    )
    only_common = await index_of(runtime).search(
        query="the", scopes=[scope], mode="keyword", limit=10
    )

    assert [hit.chunk_id for hit in rare_and_common] == [river]
    assert {hit.chunk_id for hit in only_common} == {*ids, river}
