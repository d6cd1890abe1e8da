"""Background jobs of memory that ask a model: fact extraction and chat summaries."""

from __future__ import annotations

from sqlalchemy import select

from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import job
from cognitia.memory import semantic, summaries
from cognitia.models.message import Message
from cognitia.models.user import User


@job(semantic.EXTRACT_FACTS, semantic.ExtractFacts, max_tries=3, backoff_seconds=5.0)
async def extract_facts(ctx: JobContext, payload: semantic.ExtractFacts) -> None:
    user_id = payload.user_id
    async with ctx.db.read() as session:
        rows = await session.scalars(
            select(Message)
            .where(Message.id.in_(payload.message_ids), Message.chat_id == payload.chat_id)
            .order_by(Message.seq)
        )
        messages = [(m.id, m.name or m.author_type.value, m.content, m.created_at) for m in rows]
        user = await session.get(User, user_id)
    if user is None:
        return
    await semantic.extract_facts(
        ctx,
        user_id=user_id,
        character_id=payload.character_id,
        messages=[said for said in messages if said[2]],
        user_name=user.first_name or "the user",
        chat_id=payload.chat_id,
    )


@job(summaries.SUMMARIZE_CHAT, summaries.SummarizeChat, max_tries=3, backoff_seconds=5.0)
async def summarize_chat(ctx: JobContext, payload: summaries.SummarizeChat) -> None:
    await summaries.summarize_chat(ctx, chat_id=payload.chat_id)
