"""Rolling chat summaries: once a chat has grown well past its last summary, the older
messages are folded (with that summary) into a new one by the `summarize` lane, so a
prompt can carry the summary plus the recent messages instead of the whole history."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.db import Database
from cognitia.jobs.deferred import defer
from cognitia.jobs.registry import Payload
from cognitia.llm import service as llm
from cognitia.llm.logic import Target
from cognitia.llm.ports import ChatMessage, ChatRequest, Sampling
from cognitia.llm.registry import ModelRegistry
from cognitia.memory import repository
from cognitia.models.chat_summary import ChatSummary
from cognitia.models.message import Message, MessageStatus

log = logging.getLogger(__name__)

SUMMARIZE_CHAT = "memory.summarize_chat"


class SummarizeChat(Payload):
    chat_id: str


LANE = "summarize"
# Summarize once more than THRESHOLD messages follow the last summary, keeping the newest
# KEEP_RECENT out of it (the prompt carries those verbatim).
THRESHOLD = 40
KEEP_RECENT = 20
MAX_PER_PASS = 100  # a long imported chat is folded in several passes
MAX_OUTPUT_TOKENS = 512
MAX_MESSAGE_CHARS = 2000

INSTRUCTIONS = """Summarize the conversation for someone who will continue it: who the
people are, what happened, what was decided or promised, and facts worth remembering,
with dates when given. Write plain prose, at most 250 words. Fold the earlier summary in."""


async def latest(session: AsyncSession, chat_id: str) -> ChatSummary | None:
    """The chat's newest summary, if any."""
    return await repository.latest_summary(session, chat_id)


def _covered(summary: ChatSummary | None) -> int:
    return summary.covers_up_to_seq if summary is not None else 0


async def _unsummarized_count(session: AsyncSession, chat_id: str, after: int) -> int:
    return await repository.count_messages_after(session, chat_id=chat_id, after_seq=after)


async def maybe_summarize(session: AsyncSession, *, chat_id: str) -> bool:
    """Queue a summary (after the session commits) when the chat has outgrown its last one."""
    after = _covered(await latest(session, chat_id))
    if await _unsummarized_count(session, chat_id, after) <= THRESHOLD:
        return False
    defer(session, SUMMARIZE_CHAT, SummarizeChat(chat_id=chat_id))
    return True


async def summarize_chat(
    models: ModelRegistry, usage: llm.UsageRecorder, db: Database, *, chat_id: str
) -> ChatSummary | None:
    """Fold the older unsummarized messages into a new summary; None when not due."""
    async with db.read() as session:
        previous = await latest(session, chat_id)
        messages = await repository.messages_after(
            session, chat_id=chat_id, after_seq=_covered(previous)
        )
    if len(messages) <= THRESHOLD:
        return None
    batch = messages[: len(messages) - KEEP_RECENT][:MAX_PER_PASS]
    result = await llm.complete(
        models,
        usage,
        request=build_request(previous.content if previous else "", batch),
        target=Target(lane=LANE),
        context=llm.CallContext(user_id=None, chat_id=chat_id, lane=LANE),
    )
    if result.failed is not None:  # broken off half-way: the job runs again later
        raise llm.ModelsUnavailable(f"chat summary failed: {result.failed.message}")
    text = result.text.strip()
    if not text:
        log.warning("chat summary for %s came back empty", chat_id)
        return None
    return await _save(db, chat_id=chat_id, content=text, covers=batch[-1].seq)


async def _save(db: Database, *, chat_id: str, content: str, covers: int) -> ChatSummary | None:
    async with db.unit_of_work() as session:
        if _covered(await latest(session, chat_id)) >= covers:
            return None  # a concurrent job got there first
        summary = ChatSummary(chat_id=chat_id, content=content, covers_up_to_seq=covers)
        await repository.add_summary(session, summary)
        if await _unsummarized_count(session, chat_id, covers) > THRESHOLD:
            defer(session, SUMMARIZE_CHAT, SummarizeChat(chat_id=chat_id))
    return summary


def build_request(previous: str, messages: Sequence[Message]) -> ChatRequest:
    lines = "\n".join(
        f"{m.name or m.author_type.value}: {m.content[:MAX_MESSAGE_CHARS]}"
        for m in messages
        if m.content and m.status != MessageStatus.STREAMING
    )
    earlier = f"Earlier summary:\n{previous}\n\n" if previous else ""
    return ChatRequest(
        messages=[
            ChatMessage(role="system", content=INSTRUCTIONS),
            ChatMessage(role="user", content=f"{earlier}Conversation:\n{lines}"),
        ],
        sampling=Sampling(temperature=0.2, max_tokens=MAX_OUTPUT_TOKENS),
    )
