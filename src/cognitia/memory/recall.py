"""Recall into the prompt: what this person told this character before, the character's
and the person's documents, and the chat's rolling summary, as context sections.

In a chat shared by several people, what a person keeps private (their memory with the
character, their data bank) is searched only when the caller names them as
`private_user_id` (chats/privacy.py decides); the chat's own memory is searched instead.

Recall does not need the reply's history: it returns what it found (`Recalled`), and the
reply leaves out the memories already in its prompt (`Recalled.sections`). So a reply can
start recall while its message is still being opened (chats/generation.py).

The prompt assembly places them under the token budget (prompting/assembly.py); the reply
records those it used as its `context_sources`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from cognitia.memory import summaries
from cognitia.observability.metrics import RECALL_SKIPPED
from cognitia.prompting.types import ContextSection
from cognitia.retrieval.service import Retrieval
from cognitia.retrieval.types import Hit, Scope, Search

log = logging.getLogger(__name__)

# Hits of each kind offered to the assembly (which keeps what fits its budget).
MEMORY_LIMIT = 6
KNOWLEDGE_LIMIT = 6
# Memories are fetched deeper than they are offered: the chat's own recent turns rank
# high and are left out (they are in the prompt's history already).
MEMORY_FETCH = 4 * MEMORY_LIMIT
SUMMARY_HEADING = "Summary of the conversation so far:"


@dataclass(frozen=True)
class Recall:
    """What one reply recalls for: who speaks, whose private memory it may use (None:
    nobody's), the chat, whether it is shared, the person's message."""

    character_id: str
    private_user_id: str | None
    chat_id: str
    shared: bool
    query: str


@dataclass(frozen=True)
class Recalled:
    """What recall found for a reply: the summary, memories (with the message each came
    from, fetched deeper than offered), and knowledge."""

    summary: tuple[ContextSection, ...] = ()
    memories: tuple[tuple[str, ContextSection], ...] = ()
    knowledge: tuple[ContextSection, ...] = ()

    def sections(self, exclude: Collection[str]) -> list[ContextSection]:
        """The sections offered to the prompt, leaving out memories of the messages in
        `exclude` (those already in the prompt's history)."""
        kept = [s for source_id, s in self.memories if source_id not in exclude]
        return [*self.summary, *kept[:MEMORY_LIMIT], *self.knowledge]


NOTHING = Recalled()


async def sections(index: Retrieval, recall: Recall, *, budget_seconds: float) -> Recalled:
    """Summary, memories, then knowledge for a reply; nothing (a log line and a count in
    cognitia_recall_skipped_total) if searching fails or takes longer than
    `budget_seconds` (`retrieval.recall_budget_seconds`): a reply never fails, nor waits
    long, for recall. The summary is read through the index's database."""
    try:
        async with asyncio.timeout(budget_seconds):
            return await _gather(index, recall)
    except TimeoutError:
        log.warning("recall took longer than its budget; replying without it")
        RECALL_SKIPPED.labels("timeout").inc()
    except Exception:
        log.warning("recall failed; replying without it", exc_info=True)
        RECALL_SKIPPED.labels("error").inc()
    return NOTHING


async def _gather(index: Retrieval, recall: Recall) -> Recalled:
    # The summary is read beside one search: the message is embedded once, and both
    # places are searched side by side.
    summary, (memories, knowledge) = await asyncio.gather(
        _summary(index, recall.chat_id),
        index.search_each(recall.query, [_memory_search(recall), _knowledge_search(recall)]),
    )
    return Recalled(
        summary,
        tuple((h.source_id, _section("memory", h)) for h in memories),
        tuple(_section("knowledge", h) for h in knowledge),
    )


async def _summary(index: Retrieval, chat_id: str) -> tuple[ContextSection, ...]:
    async with index.db.read() as session:
        summary = await summaries.latest(session, chat_id)
    if summary is None or not summary.content.strip():
        return ()
    text = f"{SUMMARY_HEADING}\n{summary.content.strip()}"
    return (ContextSection(kind="summary", text=text, source_id=summary.id),)


def _memory_search(recall: Recall) -> Search:
    """The person's own memory with the character, and a shared chat's memory; fetched
    deeper than offered (the prompt's own recent turns are left out after)."""
    scopes = []
    if recall.private_user_id is not None:
        scopes.append(Scope(character_id=recall.character_id, user_id=recall.private_user_id))
    if recall.shared:
        scopes.append(Scope(character_id=recall.character_id, chat_id=recall.chat_id))
    return Search(scopes=scopes, limit=MEMORY_FETCH, kinds=["message", "memory"])


def _knowledge_search(recall: Recall) -> Search:
    """The character's documents, and the person's data bank when private use is allowed."""
    scopes = [Scope(character_id=recall.character_id)]
    if recall.private_user_id is not None:
        scopes.append(Scope(user_id=recall.private_user_id))
    return Search(scopes=scopes, limit=KNOWLEDGE_LIMIT, kinds=["document"])


def _section(kind: Literal["memory", "knowledge"], hit: Hit) -> ContextSection:
    private = hit.scope.user_id is not None  # a person's memory or data bank
    return ContextSection(kind=kind, text=hit.text, source_id=hit.chunk_id, private=private)
