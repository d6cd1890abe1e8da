"""What a character remembers about a person: list, search, edit, delete, clear.

Episodes are indexed chat turns (chunks of kind "message"); facts are the semantic
memory's `memory_fact` rows (indexed as chunks of kind "memory"). Everything is scoped to
(character, caller): another person's memories are never read or changed.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.characters import service as characters
from cognitia.memory import repository
from cognitia.memory.errors import MemoryNotEditable, MemoryNotFound
from cognitia.memory.schemas import MemoryPage, MemoryRead
from cognitia.memory.semantic import fact_chunk
from cognitia.models.chunk import Chunk
from cognitia.models.memory_fact import MemoryFact
from cognitia.models.user import User
from cognitia.retrieval import service as retrieval
from cognitia.retrieval.service import Retrieval
from cognitia.retrieval.types import Hit, Scope


def _episode(chunk: Chunk, score: float | None = None) -> MemoryRead:
    return MemoryRead(
        id=chunk.id,
        kind="episode",
        content=str(chunk.meta.get("content") or chunk.text),
        created_at=chunk.created_at,
        score=score,
        source_message_ids=[chunk.source_id],
    )


def _fact(fact: MemoryFact, score: float | None = None) -> MemoryRead:
    return MemoryRead(
        id=fact.id,
        kind="fact",
        content=fact.content,
        created_at=fact.created_at,
        score=score,
        source_message_ids=list(fact.source_message_ids),
    )


async def page(
    session: AsyncSession, *, user: User, character_id: str, limit: int, offset: int
) -> MemoryPage:
    """Facts first (newest first), then episodes (newest first)."""
    await characters.get_visible(session, user=user, character_id=character_id)
    facts = await repository.all_facts(session, character_id=character_id, user_id=user.id)
    items = [_fact(f) for f in facts[offset : offset + limit]]
    episodes, total = await repository.page_episodes(
        session,
        character_id=character_id,
        user_id=user.id,
        limit=limit - len(items),
        offset=max(0, offset - len(facts)),
    )
    items += [_episode(c) for c in episodes]
    return MemoryPage(items=items, total=len(facts) + total, limit=limit, offset=offset)


async def search(  # noqa: PLR0913 - the search's coordinates
    session: AsyncSession,
    index: Retrieval,
    *,
    user: User,
    character_id: str,
    query: str,
    limit: int,
) -> MemoryPage:
    """The memories that best answer `query`, best first (hybrid search)."""
    await characters.get_visible(session, user=user, character_id=character_id)
    hits = await index.search(
        query=query,
        scopes=[Scope(character_id=character_id, user_id=user.id)],
        limit=limit,
        kinds=["message", "memory"],
    )
    items = await _items(session, hits, character_id=character_id, user_id=user.id)
    return MemoryPage(items=items, total=len(items), limit=limit, offset=0)


async def _items(
    session: AsyncSession, hits: list[Hit], *, character_id: str, user_id: str
) -> list[MemoryRead]:
    facts = await repository.facts_by_ids(
        session,
        character_id=character_id,
        user_id=user_id,
        fact_ids=[h.source_id for h in hits if h.source_kind == "memory"],
    )
    episodes = await repository.episodes_by_ids(
        session,
        character_id=character_id,
        user_id=user_id,
        chunk_ids=[h.chunk_id for h in hits if h.source_kind == "message"],
    )
    items = []
    for hit in hits:
        if hit.source_id in facts and hit.source_kind == "memory":
            items.append(_fact(facts.pop(hit.source_id), hit.score))
        elif hit.chunk_id in episodes:
            items.append(_episode(episodes[hit.chunk_id], hit.score))
    return items


async def delete(session: AsyncSession, *, user: User, character_id: str, memory_id: str) -> None:
    """Forget one fact (with its chunk) or one episode."""
    await characters.get_visible(session, user=user, character_id=character_id)
    scope = {"character_id": character_id, "user_id": user.id}
    episode = await repository.get_episode(session, **scope, chunk_id=memory_id)
    if episode is not None:
        await repository.delete_chunk(session, episode.id)
        return
    fact = await repository.get_fact(session, **scope, fact_id=memory_id)
    if fact is None:
        raise MemoryNotFound()
    await retrieval.forget_source(session, source_kind="memory", source_id=fact.id)
    await repository.delete_fact(session, fact)


async def update(  # noqa: PLR0913 - the edit's coordinates
    session: AsyncSession,
    index: Retrieval,
    *,
    user: User,
    character_id: str,
    memory_id: str,
    content: str,
) -> MemoryRead:
    """Change a fact's text (and its indexed chunk); episodes cannot be edited."""
    await characters.get_visible(session, user=user, character_id=character_id)
    scope = {"character_id": character_id, "user_id": user.id}
    if await repository.get_episode(session, **scope, chunk_id=memory_id) is not None:
        raise MemoryNotEditable()
    fact = await repository.get_fact(session, **scope, fact_id=memory_id)
    if fact is None:
        raise MemoryNotFound()
    fact.content = content
    await session.flush()
    await retrieval.forget_source(session, source_kind="memory", source_id=fact.id)
    await index.index([fact_chunk(fact)], session=session)
    await session.refresh(fact)
    return _fact(fact)


async def clear(session: AsyncSession, *, user: User, character_id: str) -> int:
    """Forget everything the character remembers about the caller; how many items went."""
    await characters.get_visible(session, user=user, character_id=character_id)
    return await repository.clear(session, character_id=character_id, user_id=user.id)
