"""Background jobs of memory that ask a model: fact extraction and chat summaries."""

from __future__ import annotations

from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import job
from cognitia.memory import repository, semantic, summaries
from cognitia.retrieval.service import Retrieval


@job(semantic.EXTRACT_FACTS, semantic.ExtractFacts, max_tries=3, backoff_seconds=5.0)
async def extract_facts(ctx: JobContext, payload: semantic.ExtractFacts) -> None:
    user_id = payload.user_id
    async with ctx.db.read() as session:
        rows = await repository.messages_in_chat(
            session, chat_id=payload.chat_id, message_ids=payload.message_ids
        )
        messages = [(m.id, m.name or m.author_type.value, m.content, m.created_at) for m in rows]
        user = await repository.get_user(session, user_id)
    if user is None:
        return
    await semantic.extract_facts(
        ctx.models,
        ctx.usage,
        Retrieval.over(ctx),
        user_id=user_id,
        character_id=payload.character_id,
        messages=[said for said in messages if said[2]],
        user_name=user.first_name or "the user",
        chat_id=payload.chat_id,
    )


@job(summaries.SUMMARIZE_CHAT, summaries.SummarizeChat, max_tries=3, backoff_seconds=5.0)
async def summarize_chat(ctx: JobContext, payload: summaries.SummarizeChat) -> None:
    await summaries.summarize_chat(ctx.models, ctx.usage, ctx.db, chat_id=payload.chat_id)
