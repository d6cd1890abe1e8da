"""Background jobs of the memory domain: indexing a finished exchange (episodic memory),
re-indexing an edited message."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.db import Database
from cognitia.jobs.deferred import defer
from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import Payload, job
from cognitia.memory import repository, semantic, summaries
from cognitia.memory.episodic import Turn, turn_chunks
from cognitia.models.message import Message, MessageStatus
from cognitia.retrieval import service as retrieval
from cognitia.retrieval.service import Retrieval
from cognitia.retrieval.types import Scope

INDEX_EXCHANGE = "memory.index_exchange"
REINDEX_MESSAGE = "memory.reindex_message"


class IndexExchange(Payload):
    message_id: str
    shared: bool = False


class ReindexMessage(Payload):
    message_id: str


def index_after_commit(session: AsyncSession, *, message_id: str, shared: bool) -> None:
    """Index a finished reply and the person's message it answers, once it is saved: in
    a chat shared by several people as that chat's memory, else as the person's own."""
    defer(session, INDEX_EXCHANGE, IndexExchange(message_id=message_id, shared=shared))


def reindex_after_commit(session: AsyncSession, *, message_id: str) -> None:
    """Replace an edited message's episode chunks once the edit commits."""
    defer(session, REINDEX_MESSAGE, ReindexMessage(message_id=message_id))


async def forget_message(session: AsyncSession, *, message_id: str) -> None:
    """Remove a message's episode chunks in the caller's unit of work (it is being deleted)."""
    await retrieval.forget_source(session, source_kind="message", source_id=message_id)


def _turn(message: Message) -> Turn:
    return Turn(id=message.id, speaker=message.name, text=message.content, at=message.created_at)


@job(INDEX_EXCHANGE, IndexExchange, max_tries=3)
async def index_exchange(ctx: JobContext, payload: IndexExchange) -> None:
    """Index the reply (again, if it was regenerated) and the person's message it answers
    (unless another speaker's reply indexed it already), under Scope(character, person),
    or Scope(character, chat) when the chat is shared."""
    async with ctx.db.read() as session:
        reply = await repository.get_message(session, payload.message_id)
        if reply is None or reply.status != MessageStatus.COMPLETE or not reply.character_id:
            return
        person = await repository.latest_user_message(
            session, chat_id=reply.chat_id, below_seq=reply.seq
        )
        if person is None or person.user_id is None:
            return
        before = await repository.messages_before(
            session, chat_id=reply.chat_id, below_seq=reply.seq, limit=2
        )
        if payload.shared:
            scope = Scope(character_id=reply.character_id, chat_id=reply.chat_id)
        else:
            scope = Scope(character_id=reply.character_id, user_id=person.user_id)
        done = await repository.indexed(session, scope=scope, message_ids=[person.id])
    turns, previous = [reply], before[0] if before else None
    if previous is not None and previous.id == person.id and person.id not in done:
        turns, previous = [person, reply], before[1] if len(before) > 1 else None
    usable = [m for m in turns if m.content.strip()]
    await _replace(Retrieval.over(ctx), usable, scope=scope, previous=previous)
    await _after_indexing(ctx.db, reply=reply, person=person, scope=scope)


async def _after_indexing(db: Database, *, reply: Message, person: Message, scope: Scope) -> None:
    """Then the work that needs a capable model: facts about the person (only from their
    own chats: a shared chat's memory is the chat's), and a summary of a long chat (each
    queued as its own job, so a weak model delays nothing else)."""
    async with db.unit_of_work() as session:
        if scope.character_id and scope.user_id:
            semantic.after_exchange(
                session,
                chat_id=reply.chat_id,
                character_id=scope.character_id,
                user_id=scope.user_id,
                message_ids=[person.id, reply.id],
            )
        await summaries.maybe_summarize(session, chat_id=reply.chat_id)


@job(REINDEX_MESSAGE, ReindexMessage, max_tries=3)
async def reindex_message(ctx: JobContext, payload: ReindexMessage) -> None:
    """Re-index an edited message in each scope it was indexed in."""
    async with ctx.db.read() as session:
        message = await repository.get_message(session, payload.message_id)
        if message is None:
            return
        scopes = await repository.episode_scopes(session, message.id)
        before = await repository.messages_before(
            session, chat_id=message.chat_id, below_seq=message.seq, limit=1
        )
    index = Retrieval.over(ctx)
    for scope in scopes:
        await _replace(
            index,
            [message] if message.content.strip() else [],
            scope=scope,
            previous=before[0] if before else None,
            drop=[message.id],
        )


async def _replace(
    index: Retrieval,
    turns: list[Message],
    *,
    scope: Scope,  # (character, person) or (character, shared chat)
    previous: Message | None,
    drop: list[str] | None = None,
) -> None:
    """Index the turns, then remove their older chunks in the scope (embedding happens
    before any write, so no write lock waits for the embedder)."""
    usable = previous if previous is not None and previous.content.strip() else None
    chunks = turn_chunks(
        [_turn(m) for m in turns],
        scope=scope,
        previous=_turn(usable) if usable else None,
    )
    # The turn's own text, for showing the memory (the chunk's text carries the turn before).
    chunks = [
        replace(chunk, metadata={**chunk.metadata, "content": m.content})
        for chunk, m in zip(chunks, turns, strict=True)
    ]
    new_ids = await index.index(chunks)
    async with index.db.unit_of_work() as session:
        await repository.delete_episodes(
            session,
            scope=scope,
            message_ids=[m.id for m in turns] + (drop or []),
            keep=new_ids,
        )
