"""All SQL over the chunk table: rows, scope filters and keyword search.

Keyword search is FTS5 with bm25 on SQLite and `ts_rank_cd` over the generated `tsv`
column on PostgreSQL. A query's words are OR-ed (any word may match, the rank rewards
more and rarer ones): questions rarely share every word with their answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    bindparam,
    delete,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.models.chunk import Chunk
from cognitia.retrieval.types import ChunkInput, Scope, SourceKind

_WORD = re.compile(r"\w+", re.UNICODE)
_SCOPE_FIELDS = ("character_id", "user_id", "chat_id")
# Metadata key keeping a chunk's embedding input when it differs from its text (reindex).
EMBED_TEXT = "embed_text"
# Roughly one token per word piece or punctuation mark (for budgets, not billing).
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def estimate_tokens(value: str) -> int:
    return len(_TOKEN.findall(value))


def scope_filter(scopes: Sequence[Scope]) -> ColumnElement[bool]:
    """Any of the scopes; a scope matches a chunk when every field it sets is equal and
    every field it leaves None is NULL on the chunk. So Scope(character_id=c) finds the
    character's own documents and not what a user told that character
    (Scope(character_id=c, user_id=u)). No scopes match nothing."""
    clauses = []
    for scope in scopes:
        parts = []
        for name in _SCOPE_FIELDS:
            column = getattr(Chunk, name)
            value = getattr(scope, name)
            parts.append(column.is_(None) if value is None else column == value)
        clauses.append(and_(*parts))
    return or_(*clauses) if clauses else false()


def chunk_filter(
    scopes: Sequence[Scope], kinds: Sequence[SourceKind] | None
) -> ColumnElement[bool]:
    where = scope_filter(scopes)
    if kinds is not None:
        where = and_(where, Chunk.source_kind.in_(list(kinds)))
    return where


async def add(
    session: AsyncSession, chunks: Sequence[ChunkInput], *, embedding_model: str
) -> list[Chunk]:
    rows = [
        Chunk(
            source_kind=chunk.source_kind,
            source_id=chunk.source_id,
            character_id=chunk.scope.character_id,
            user_id=chunk.scope.user_id,
            chat_id=chunk.scope.chat_id,
            position=chunk.position,
            text=chunk.text,
            token_count=(
                chunk.token_count if chunk.token_count is not None else estimate_tokens(chunk.text)
            ),
            meta={**chunk.metadata, **({EMBED_TEXT: chunk.embed_text} if chunk.embed_text else {})},
            embedding_model=embedding_model,
        )
        for chunk in chunks
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def delete_source(
    session: AsyncSession, *, source_kind: str, source_id: str, limit: int | None = None
) -> int:
    """Rows go (at most `limit` of them); FTS entries and vectors go with them (triggers,
    or columns)."""
    of_source = and_(Chunk.source_kind == source_kind, Chunk.source_id == source_id)
    if limit is not None:
        some = select(Chunk.seq).where(of_source).limit(limit).scalar_subquery()
        of_source = Chunk.seq.in_(some)
    result = await session.execute(delete(Chunk).where(of_source).returning(Chunk.seq))
    return len(result.all())


async def delete_of_character(session: AsyncSession, character_id: str) -> int:
    """Every chunk in a scope of this character (documents, episodes, facts)."""
    result = await session.execute(
        delete(Chunk).where(Chunk.character_id == character_id).returning(Chunk.seq)
    )
    return len(result.all())


async def by_seq(session: AsyncSession, seqs: Sequence[int]) -> dict[int, Chunk]:
    if not seqs:
        return {}
    rows = await session.scalars(select(Chunk).where(Chunk.seq.in_(list(seqs))))
    return {row.seq: row for row in rows}


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Chunk)) or 0)


async def count_by_embedder(session: AsyncSession) -> dict[str, int]:
    """Chunks per embedder that made their vectors."""
    rows = await session.execute(
        select(Chunk.embedding_model, func.count()).group_by(Chunk.embedding_model)
    )
    return {name: int(n) for name, n in rows.all()}


async def page_after(session: AsyncSession, *, after: int, size: int) -> list[tuple[int, str]]:
    """(seq, text to embed) of the next `size` chunks in seq order (reindexing walks them)."""
    rows = await session.execute(
        select(Chunk.seq, Chunk.text, Chunk.meta)
        .where(Chunk.seq > after)
        .order_by(Chunk.seq)
        .limit(size)
    )
    return [(int(seq), (meta or {}).get(EMBED_TEXT) or value) for seq, value, meta in rows.all()]


async def set_embedding_model(session: AsyncSession, seqs: Sequence[int], name: str) -> None:
    if seqs:
        await session.execute(
            update(Chunk).where(Chunk.seq.in_(list(seqs))).values(embedding_model=name)
        )


def query_words(query: str) -> list[str]:
    return list(dict.fromkeys(word.lower() for word in _WORD.findall(query)))


async def keyword(
    session: AsyncSession, *, query: str, where: ColumnElement[bool], limit: int
) -> list[tuple[int, float]]:
    """The best keyword matches as (seq, score), best first (higher score is better)."""
    words = query_words(query)
    if not words:
        return []
    if session.get_bind().dialect.name == "sqlite":
        return await _fts5(session, words=words, where=where, limit=limit)
    return await _tsvector(session, words=words, where=where, limit=limit)


async def _fts5(
    session: AsyncSession, *, words: list[str], where: ColumnElement[bool], limit: int
) -> list[tuple[int, float]]:
    words = await _scoring_words(session, words)
    # Each word quoted, so nothing in a query is FTS5 syntax.
    match = " OR ".join('"' + word.replace('"', '""') + '"' for word in words)
    # MATERIALIZED: the full-text match runs once. As a plain subquery SQLite's planner put
    # `chunk` (by scope) in the outer loop and re-ran the match for every chunk in scope:
    # 300 ms on 600 chunks, seconds at 10k (benchmarks/retrieval_scale.py).
    fts = (
        text(
            "SELECT rowid AS seq, bm25(chunk_fts) AS rank FROM chunk_fts "
            "WHERE chunk_fts MATCH :match"
        )
        .bindparams(match=match)
        .columns(seq=Integer, rank=Float)
        .cte("fts")
        .prefix_with("MATERIALIZED")
    )
    rank: ColumnElement[float] = literal_column("fts.rank", Float)
    statement = (
        select(Chunk.seq, rank)
        .join_from(Chunk, fts, fts.c.seq == Chunk.seq)
        .where(where)
        .order_by(rank)
        .limit(limit)
    )
    # bm25() is lower-is-better; flip it so every ranking reads the same way.
    return [(int(seq), -float(r)) for seq, r in (await session.execute(statement)).all()]


async def _scoring_words(session: AsyncSession, words: list[str]) -> list[str]:
    """The words that can change a bm25 score, or all of them when none can.

    FTS5 clamps the IDF of a term that at least half of the rows hold to 1e-6
    (fts5_aux.c): such a word adds nothing to any score, yet every row holding it matches,
    so an OR query scores most of the table for nothing (40 ms of 60 at 20,000 chunks
    for a question with "the" in it). Those words are left out. max(seq) stands in for
    the row count, cheap and never under it, so a word is dropped only when it truly is
    in half the rows. Words are looked up as written; with the porter tokenizer a word
    that is not its own stem is seldom a term, and is kept. One statement: max(seq)
    comes with each count (no count, no max needed: then every word is kept)."""
    counts = await session.execute(
        text(
            "SELECT term, doc, (SELECT max(seq) FROM chunk) FROM chunk_fts_terms "
            "WHERE term IN :words"
        ).bindparams(bindparam("words", value=words, expanding=True))
    )
    found = counts.all()
    rows = int(found[0][2] or 0) if found else 0  # the same max(seq) on every row
    held = {term: int(doc) for term, doc, _ in found}
    return [word for word in words if 2 * held.get(word, 0) < rows] or words


async def _tsvector(
    session: AsyncSession, *, words: list[str], where: ColumnElement[bool], limit: int
) -> list[tuple[int, float]]:
    # websearch_to_tsquery never fails on user input; " or " makes the words alternatives.
    tsquery = func.websearch_to_tsquery(text("'english'"), " or ".join(words))
    tsv: ColumnElement[str] = literal_column("chunk.tsv")
    rank = func.ts_rank_cd(tsv, tsquery)
    statement = (
        select(Chunk.seq, rank)
        .where(where, tsv.op("@@")(tsquery))
        .order_by(rank.desc(), Chunk.seq)
        .limit(limit)
    )
    return [(int(seq), float(r)) for seq, r in (await session.execute(statement)).all()]


def embedded_with(where: ColumnElement[bool], model: str) -> ColumnElement[bool]:
    """Only vectors from this embedder compare with its query vector (until reindex)."""
    return and_(where, Chunk.embedding_model == model)
