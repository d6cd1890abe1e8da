"""Recall into the prompt: what this person told this character before, the character's
and the person's documents, and the chat's rolling summary, as context sections.

In a chat shared by several people, what a person keeps private (their memory with the
character, their data bank) is searched only when the caller names them as
`private_user_id` (chats/privacy.py decides); the chat's own memory is searched instead.

The prompt assembly places them under the token budget (prompting/assembly.py); the reply
records those it used as its `context_sources`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cognitia.memory import summaries
from cognitia.observability.metrics import RECALL_SKIPPED
from cognitia.prompting.types import ContextSection
from cognitia.retrieval import service as retrieval
from cognitia.retrieval.types import Hit, Scope

if TYPE_CHECKING:
    from cognitia.runtime import Runtime

log = logging.getLogger(__name__)

# Hits of each kind offered to the assembly (which keeps what fits its budget).
MEMORY_LIMIT = 6
KNOWLEDGE_LIMIT = 6
# Memories are fetched deeper than they are offered: the chat's own recent turns rank
# high and are left out (they are in the prompt's history already).
MEMORY_FETCH = 4 * MEMORY_LIMIT
SUMMARY_HEADING = "Summary of the conversation so far:"


@dataclass(frozen=True)
class Query:
    text: str
    vector: list[float]


@dataclass(frozen=True)
class Recall:
    """What one reply recalls for: who speaks, whose private memory it may use (None:
    nobody's), the chat, whether it is shared, the person's message."""

    character_id: str
    private_user_id: str | None
    chat_id: str
    shared: bool
    query: str
    exclude: Collection[str] = ()  # message ids already in the prompt


async def sections(runtime: Runtime, recall: Recall) -> list[ContextSection]:
    """Summary, memories, then knowledge for a reply; nothing (a log line and a count in
    cognitia_recall_skipped_total) if searching fails or takes longer than
    `retrieval.recall_budget_seconds`: a reply never fails, nor waits long, for recall."""
    try:
        async with asyncio.timeout(runtime.settings.retrieval.recall_budget_seconds):
            return await _gather(runtime, recall)
    except TimeoutError:
        log.warning("recall took longer than its budget; replying without it")
        RECALL_SKIPPED.labels("timeout").inc()
    except Exception:
        log.warning("recall failed; replying without it", exc_info=True)
        RECALL_SKIPPED.labels("error").inc()
    return []


async def _gather(runtime: Runtime, recall: Recall) -> list[ContextSection]:
    found = await _summary(runtime, recall.chat_id)
    if not recall.query.strip():
        return found
    shared_chat = recall.chat_id if recall.shared else None
    scopes = _memory_scopes(recall.character_id, recall.private_user_id, shared_chat)
    asked = Query(recall.query, await retrieval.embed_query(runtime, recall.query))  # once
    found += await _memories(runtime, scopes, asked, recall.exclude)
    found += await _knowledge(runtime, recall.character_id, recall.private_user_id, asked)
    return found


async def _summary(runtime: Runtime, chat_id: str) -> list[ContextSection]:
    async with runtime.db.read() as session:
        summary = await summaries.latest(session, chat_id)
    if summary is None or not summary.content.strip():
        return []
    text = f"{SUMMARY_HEADING}\n{summary.content.strip()}"
    return [ContextSection(kind="summary", text=text, source_id=summary.id)]


def _memory_scopes(
    character_id: str, private_user_id: str | None, shared_chat_id: str | None
) -> list[Scope]:
    """The person's own memory with the character, and a shared chat's memory."""
    scopes = []
    if private_user_id is not None:
        scopes.append(Scope(character_id=character_id, user_id=private_user_id))
    if shared_chat_id is not None:
        scopes.append(Scope(character_id=character_id, chat_id=shared_chat_id))
    return scopes


async def _memories(
    runtime: Runtime, scopes: list[Scope], query: Query, exclude: Collection[str]
) -> list[ContextSection]:
    if not scopes:
        return []
    hits = await retrieval.search(
        runtime,
        query=query.text,
        query_vector=query.vector,
        scopes=scopes,
        limit=MEMORY_FETCH,
        kinds=["message", "memory"],
    )
    kept = [h for h in hits if h.source_id not in exclude][:MEMORY_LIMIT]
    return [_section("memory", hit) for hit in kept]


async def _knowledge(
    runtime: Runtime, character_id: str, private_user_id: str | None, query: Query
) -> list[ContextSection]:
    scopes = [Scope(character_id=character_id)]
    if private_user_id is not None:
        scopes.append(Scope(user_id=private_user_id))  # the person's data bank
    hits = await retrieval.search(
        runtime,
        query=query.text,
        query_vector=query.vector,
        scopes=scopes,
        limit=KNOWLEDGE_LIMIT,
        kinds=["document"],
    )
    return [_section("knowledge", hit) for hit in hits]


def _section(kind: Literal["memory", "knowledge"], hit: Hit) -> ContextSection:
    private = hit.scope.user_id is not None  # a person's memory or data bank
    return ContextSection(kind=kind, text=hit.text, source_id=hit.chunk_id, private=private)
