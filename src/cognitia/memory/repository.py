"""SQL of the memory domain: the turns an exchange is indexed from, a person's episodes
(chunks) and facts with one character, and a chat's rolling summaries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.models.chat_summary import ChatSummary
from cognitia.models.chunk import Chunk
from cognitia.models.memory_fact import FactStatus, MemoryFact
from cognitia.models.message import AuthorType, Message
from cognitia.models.user import User
from cognitia.retrieval.repository import scope_filter
from cognitia.retrieval.types import Scope

EPISODE_KIND = "message"
FACT_KIND = "memory"


async def get_message(session: AsyncSession, message_id: str) -> Message | None:
    return await session.get(Message, message_id)


async def messages_before(
    session: AsyncSession, *, chat_id: str, below_seq: int, limit: int
) -> list[Message]:
    """The `limit` latest messages before `below_seq`, newest first."""
    stmt = (
        select(Message)
        .where(Message.chat_id == chat_id, Message.seq < below_seq)
        .order_by(Message.seq.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def latest_user_message(
    session: AsyncSession, *, chat_id: str, below_seq: int
) -> Message | None:
    stmt = (
        select(Message)
        .where(
            Message.chat_id == chat_id,
            Message.seq < below_seq,
            Message.author_type == AuthorType.USER,
        )
        .order_by(Message.seq.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


def _of(character_id: str, user_id: str) -> ColumnElement[bool]:
    """A person's chunks with a character (never a chat's or the character's own)."""
    return and_(
        Chunk.character_id == character_id,
        Chunk.user_id == user_id,
        Chunk.chat_id.is_(None),
    )


def _is_of(chunk: Chunk, character_id: str, user_id: str) -> bool:
    """`_of` on a loaded row."""
    return chunk.character_id == character_id and chunk.user_id == user_id and chunk.chat_id is None


async def indexed(session: AsyncSession, *, scope: Scope, message_ids: Sequence[str]) -> set[str]:
    """Which of the messages already have episode chunks in the scope."""
    stmt = select(Chunk.source_id).where(
        scope_filter([scope]),
        Chunk.source_kind == EPISODE_KIND,
        Chunk.source_id.in_(list(message_ids)),
    )
    return set((await session.scalars(stmt)).all())


async def delete_episodes(
    session: AsyncSession,
    *,
    scope: Scope,
    message_ids: Sequence[str],
    keep: Sequence[str] = (),
) -> int:
    """The messages' episode chunks in the scope, except the chunks `keep`."""
    result = await session.execute(
        delete(Chunk)
        .where(
            scope_filter([scope]),
            Chunk.source_kind == EPISODE_KIND,
            Chunk.source_id.in_(list(message_ids)),
            Chunk.id.not_in(list(keep)),
        )
        .returning(Chunk.seq)
    )
    return len(result.all())


async def episode_scopes(session: AsyncSession, message_id: str) -> list[Scope]:
    """The scopes a message is indexed in: (character, person) or (character, shared chat)."""
    stmt = (
        select(Chunk.character_id, Chunk.user_id, Chunk.chat_id)
        .where(Chunk.source_kind == EPISODE_KIND, Chunk.source_id == message_id)
        .distinct()
    )
    rows = (await session.execute(stmt)).all()
    return [Scope(c, u, chat) for c, u, chat in rows if c and (u or chat)]


async def page_episodes(
    session: AsyncSession, *, character_id: str, user_id: str, limit: int, offset: int
) -> tuple[list[Chunk], int]:
    where = and_(_of(character_id, user_id), Chunk.source_kind == EPISODE_KIND)
    total = await session.scalar(select(func.count()).select_from(Chunk).where(where))
    stmt = (
        select(Chunk)
        .where(where)
        .order_by(Chunk.created_at.desc(), Chunk.seq.desc())
        .limit(limit)
        .offset(offset)
    )
    return list((await session.scalars(stmt)).all()), int(total or 0)


async def get_episode(
    session: AsyncSession, *, character_id: str, user_id: str, chunk_id: str
) -> Chunk | None:
    stmt = select(Chunk).where(
        _of(character_id, user_id), Chunk.source_kind == EPISODE_KIND, Chunk.id == chunk_id
    )
    return (await session.scalars(stmt)).first()


async def episodes_by_ids(
    session: AsyncSession, *, character_id: str, user_id: str, chunk_ids: Sequence[str]
) -> dict[str, Chunk]:
    """The person's chunks with the character among `chunk_ids` (a search's hits)."""
    if not chunk_ids:
        return {}
    # Found by id alone, the scope checked on the rows: with the scope in the WHERE clause
    # SQLite's planner (it has no statistics) read every chunk of the scope through
    # ix_chunk_scope to keep the few asked for, 20 ms at 10k memories and linear in them
    # (benchmarks/memory_search.py), where the unique index on `id` reads only those.
    rows = await session.scalars(select(Chunk).where(Chunk.id.in_(list(chunk_ids))))
    return {row.id: row for row in rows if _is_of(row, character_id, user_id)}


async def delete_chunk(session: AsyncSession, chunk_id: str) -> None:
    await session.execute(delete(Chunk).where(Chunk.id == chunk_id))


def _facts_of(character_id: str, user_id: str) -> ColumnElement[bool]:
    return and_(
        MemoryFact.character_id == character_id,
        MemoryFact.user_id == user_id,
        MemoryFact.status == FactStatus.ACTIVE,
    )


async def all_facts(session: AsyncSession, *, character_id: str, user_id: str) -> list[MemoryFact]:
    stmt = (
        select(MemoryFact)
        .where(_facts_of(character_id, user_id))
        .order_by(MemoryFact.created_at.desc(), MemoryFact.id)
    )
    return list((await session.scalars(stmt)).all())


async def facts_by_ids(
    session: AsyncSession, *, character_id: str, user_id: str, fact_ids: Sequence[str]
) -> dict[str, MemoryFact]:
    stmt = select(MemoryFact).where(
        _facts_of(character_id, user_id), MemoryFact.id.in_(list(fact_ids))
    )
    return {row.id: row for row in (await session.scalars(stmt)).all()}


async def get_fact(
    session: AsyncSession, *, character_id: str, user_id: str, fact_id: str
) -> MemoryFact | None:
    found = await facts_by_ids(
        session, character_id=character_id, user_id=user_id, fact_ids=[fact_id]
    )
    return found.get(fact_id)


async def clear(session: AsyncSession, *, character_id: str, user_id: str) -> int:
    """Every episode and fact (with their chunks) of a person with a character."""
    chunks = await session.execute(
        delete(Chunk)
        .where(_of(character_id, user_id), Chunk.source_kind.in_([EPISODE_KIND, FACT_KIND]))
        .returning(Chunk.seq)
    )
    facts = await session.execute(
        delete(MemoryFact)
        .where(MemoryFact.character_id == character_id, MemoryFact.user_id == user_id)
        .returning(MemoryFact.id)
    )
    return len(chunks.all()) + len(facts.all())


async def active_facts(
    session: AsyncSession, *, user_id: str, character_id: str, limit: int
) -> list[MemoryFact]:
    """The newest `limit` active facts one character keeps about one person, oldest first."""
    rows = await session.scalars(
        select(MemoryFact)
        .where(_facts_of(character_id, user_id))
        .order_by(MemoryFact.created_at.desc(), MemoryFact.id)
        .limit(limit)
    )
    return list(reversed(rows.all()))


async def delete_fact(session: AsyncSession, fact: MemoryFact) -> None:
    await session.delete(fact)


async def add_fact(session: AsyncSession, fact: MemoryFact) -> None:
    session.add(fact)
    await session.flush()


async def messages_in_chat(
    session: AsyncSession, *, chat_id: str, message_ids: Sequence[str]
) -> list[Message]:
    """Those of the messages that are in the chat, oldest first."""
    stmt = (
        select(Message)
        .where(Message.id.in_(list(message_ids)), Message.chat_id == chat_id)
        .order_by(Message.seq)
    )
    return list((await session.scalars(stmt)).all())


async def get_user(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def latest_summary(session: AsyncSession, chat_id: str) -> ChatSummary | None:
    newest: ChatSummary | None = await session.scalar(
        select(ChatSummary)
        .where(ChatSummary.chat_id == chat_id)
        .order_by(ChatSummary.covers_up_to_seq.desc(), ChatSummary.created_at.desc())
        .limit(1)
    )
    return newest


async def count_messages_after(session: AsyncSession, *, chat_id: str, after_seq: int) -> int:
    count = await session.scalar(
        select(func.count()).where(Message.chat_id == chat_id, Message.seq > after_seq)
    )
    return int(count or 0)


async def messages_after(session: AsyncSession, *, chat_id: str, after_seq: int) -> list[Message]:
    """The chat's messages after `after_seq`, oldest first."""
    stmt = (
        select(Message)
        .where(Message.chat_id == chat_id, Message.seq > after_seq)
        .order_by(Message.seq)
    )
    return list((await session.scalars(stmt)).all())


async def add_summary(session: AsyncSession, summary: ChatSummary) -> None:
    session.add(summary)
    await session.flush()
