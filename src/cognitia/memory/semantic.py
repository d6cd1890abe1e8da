"""Semantic memory: durable facts about one person, kept by one character.

After an exchange, the `extract` lane reads the new messages and the facts already known
and answers with operations (add, update, supersede, forget) as JSON. A small model
often answers with junk: anything that does not parse, or does not have the expected
shape, changes nothing. Active facts are indexed for recall (source kind "memory", scope
character + user); superseded and forgotten ones leave the index but stay in the table.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.jobs.deferred import defer
from cognitia.jobs.registry import Payload
from cognitia.kit.ids import new_id
from cognitia.llm import service as llm
from cognitia.llm.logic import Target
from cognitia.llm.ports import ChatMessage, ChatRequest, Sampling
from cognitia.llm.registry import ModelRegistry
from cognitia.memory import repository
from cognitia.models.memory_fact import FactCategory, FactStatus, MemoryFact
from cognitia.retrieval import service as retrieval
from cognitia.retrieval.service import Retrieval
from cognitia.retrieval.types import ChunkInput, Scope, SourceKind

log = logging.getLogger(__name__)

EXTRACT_FACTS = "memory.extract_facts"


class ExtractFacts(Payload):
    chat_id: str
    character_id: str
    user_id: str
    message_ids: list[str]


LANE = "extract"
SOURCE_KIND: SourceKind = "memory"
MAX_KNOWN_FACTS = 100  # the newest active facts shown to the model
MAX_OPERATIONS = 20
MAX_FACT_CHARS = 500
MAX_HAPPENED_AT_CHARS = 100
MAX_OUTPUT_TOKENS = 1024

# (message id, speaker, text, when it was said)
Said = tuple[str, str, str, datetime | str | None]

_OPS = ("add", "update", "supersede", "forget")
RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "memory_operations",
        "schema": {
            "type": "object",
            "properties": {
                "operations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "op": {"type": "string", "enum": list(_OPS)},
                            "id": {"type": "integer"},
                            "content": {"type": "string"},
                            "category": {"type": "string", "enum": [c.value for c in FactCategory]},
                            "happened_at": {"type": ["string", "null"]},
                        },
                        "required": ["op"],
                    },
                }
            },
            "required": ["operations"],
        },
    },
}

INSTRUCTIONS = """You maintain a memory of durable facts about the user, {user_name}.
Read the new messages and the known facts. Keep only lasting facts about the user:
preferences, biography, plans, relationships. Give the date or period when one is said.
Answer with JSON: {{"operations": [...]}}, each operation one of
  {{"op": "add", "content": "...", "category": "preference|biography|plan|relationship|other",
    "happened_at": "2024-05 or null"}}
  {{"op": "update", "id": 3, "content": "the corrected fact"}}
  {{"op": "supersede", "id": 3, "content": "the fact that replaces it"}}
  {{"op": "forget", "id": 3}}
Use "update" to refine a fact, "supersede" when it stopped being true, "forget" when the
user asks you to forget it. Answer {{"operations": []}} when there is nothing to remember."""


@dataclass(frozen=True)
class Operation:
    op: str
    fact_id: str | None = None
    content: str = ""
    category: FactCategory = FactCategory.OTHER
    happened_at: str | None = None


@dataclass
class Applied:
    """What one extraction changed (fact ids)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)


def after_exchange(
    session: AsyncSession,
    *,
    chat_id: str,
    character_id: str,
    user_id: str,
    message_ids: Sequence[str],
) -> None:
    """Extract facts from these messages once the session commits (a reply completed)."""
    if message_ids:
        job = ExtractFacts(
            chat_id=chat_id,
            character_id=character_id,
            user_id=user_id,
            message_ids=list(message_ids),
        )
        defer(session, EXTRACT_FACTS, job)


async def active_facts(
    session: AsyncSession, *, user_id: str, character_id: str, limit: int = MAX_KNOWN_FACTS
) -> list[MemoryFact]:
    """The active facts one character keeps about one person, oldest first."""
    return await repository.active_facts(
        session, user_id=user_id, character_id=character_id, limit=limit
    )


async def extract_facts(  # noqa: PLR0913
    models: ModelRegistry,
    usage: llm.UsageRecorder,
    index: Retrieval,
    *,
    user_id: str,
    character_id: str,
    messages: Sequence[Said],
    user_name: str = "the user",
    chat_id: str | None = None,
) -> Applied:
    """Ask the extract lane about `messages` and apply its operations (recorded in
    `usage`; the facts are read and written through the index's database)."""
    if not messages:
        return Applied()
    async with index.db.read() as session:
        known = await active_facts(session, user_id=user_id, character_id=character_id)
    request = build_request(known, messages, user_name=user_name)
    context = llm.CallContext(
        user_id=user_id, chat_id=chat_id, character_id=character_id, lane=LANE
    )
    result = await llm.complete(
        models, usage, request=request, target=Target(lane=LANE), context=context
    )
    if result.failed is not None:
        # Broken off half-way (a crash, or preempted by a person's reply on a local
        # model): raising lets the job run again later, so these messages are not skipped.
        raise llm.ModelsUnavailable(f"fact extraction failed: {result.failed.message}")
    operations = parse_operations(result.text, [fact.id for fact in known])
    if not operations:
        return Applied()
    try:
        return await apply(
            index,
            user_id=user_id,
            character_id=character_id,
            operations=operations,
            source_message_ids=[said[0] for said in messages],
        )
    except Exception:
        # The model call succeeded and is paid for; a retry would ask it again.
        log.exception("applying extracted facts failed")
        return Applied()


def build_request(
    known: Sequence[MemoryFact], messages: Sequence[Said], *, user_name: str
) -> ChatRequest:
    facts = "\n".join(f"{n}. {fact.content}" for n, fact in enumerate(known, start=1))
    lines = "\n".join(f"{_when(at)}{speaker}: {text}" for _, speaker, text, at in messages)
    prompt = f"Known facts:\n{facts or '(none)'}\n\nNew messages:\n{lines}"
    return ChatRequest(
        messages=[
            ChatMessage(role="system", content=INSTRUCTIONS.format(user_name=user_name)),
            ChatMessage(role="user", content=prompt),
        ],
        sampling=Sampling(temperature=0.0, max_tokens=MAX_OUTPUT_TOKENS),
        response_format=RESPONSE_FORMAT,
    )


def _when(at: datetime | str | None) -> str:
    if at is None:
        return ""
    return f"({at if isinstance(at, str) else at.strftime('%Y-%m-%d')}) "


def parse_operations(text: str, known_ids: Sequence[str]) -> list[Operation]:
    """The valid operations in a model's answer; [] (logged) when it is not the JSON asked
    for. Facts are numbered from 1 in the prompt; a number or a known id names one."""
    data = _json_object(text)
    raw = data.get("operations") if data is not None else None
    if not isinstance(raw, list):
        log.warning("fact extraction answered without an operations list: %.200r", text)
        return []
    operations = []
    for item in raw[:MAX_OPERATIONS]:
        operation = _operation(item, known_ids) if isinstance(item, dict) else None
        if operation is None:
            log.info("skipped an invalid memory operation: %.200r", item)
        else:
            operations.append(operation)
    return operations


def _json_object(text: str) -> dict[str, Any] | None:
    """The outermost JSON object in `text` (models wrap it in prose or code fences)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(text[start : end + 1])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _operation(item: dict[str, Any], known_ids: Sequence[str]) -> Operation | None:
    op = item.get("op")
    if op not in _OPS:
        return None
    fact_id = _fact_id(item.get("id"), known_ids)
    content = item.get("content")
    content = content.strip()[:MAX_FACT_CHARS] if isinstance(content, str) else ""
    if (op != "add" and fact_id is None) or (op != "forget" and not content):
        return None
    category = item.get("category")
    happened_at = item.get("happened_at")
    return Operation(
        op=op,
        fact_id=fact_id if op != "add" else None,
        content=content,
        category=FactCategory(category) if category in _CATEGORIES else FactCategory.OTHER,
        happened_at=happened_at.strip()[:MAX_HAPPENED_AT_CHARS] or None
        if isinstance(happened_at, str)
        else None,
    )


_CATEGORIES = {c.value for c in FactCategory}


def _fact_id(value: object, known_ids: Sequence[str]) -> str | None:
    """A fact the model may change: only one it was shown (so never another scope's)."""
    if isinstance(value, str) and value in known_ids:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(known_ids):
        return known_ids[value - 1]
    return None


async def apply(
    index: Retrieval,
    *,
    user_id: str,
    character_id: str,
    operations: Sequence[Operation],
    source_message_ids: Sequence[str],
) -> Applied:
    """Write the operations and keep the recall index in step, in one unit of work. The
    facts' texts are embedded before it opens, so the writer's lock never waits on the
    embedder (an update that keeps an old date is embedded inside, the rare case)."""
    embedded = await index.embedded_for(
        [fact_text(o.content, o.happened_at) for o in operations if o.op != "forget"]
    )
    async with index.db.unit_of_work() as session:
        known = await active_facts(
            session, user_id=user_id, character_id=character_id, limit=MAX_ACTIVE_SCAN
        )
        batch = _Batch(
            index=index,
            session=session,
            user_id=user_id,
            character_id=character_id,
            facts={fact.id: fact for fact in known},
            sources=list(source_message_ids),
            embedded=embedded,
        )
        for operation in operations:
            await batch.apply(operation)
    return batch.applied


MAX_ACTIVE_SCAN = 10_000


@dataclass
class _Batch:
    index: Retrieval
    session: AsyncSession
    user_id: str
    character_id: str
    facts: dict[str, MemoryFact]  # the active ones, by id
    sources: list[str]
    embedded: dict[str, list[float]] = field(default_factory=dict)  # texts embedded before
    applied: Applied = field(default_factory=Applied)

    async def apply(self, operation: Operation) -> None:
        if operation.op == "add":
            await self._add(operation, category=operation.category)
            return
        old = self.facts.pop(operation.fact_id or "", None)
        if old is None:
            return  # changed by an earlier operation of this answer
        await retrieval.forget_source(self.session, source_kind=SOURCE_KIND, source_id=old.id)
        if operation.op == "forget":
            old.status = FactStatus.FORGOTTEN
            self.applied.forgotten.append(old.id)
        elif operation.op == "update":
            old.content = operation.content
            old.happened_at = operation.happened_at or old.happened_at
            old.source_message_ids = [*old.source_message_ids, *self.sources]
            await self._index(old)
            self.facts[old.id] = old
            self.applied.updated.append(old.id)
        else:
            new = await self._add(operation, category=old.category)
            old.status = FactStatus.SUPERSEDED
            old.superseded_by = new.id
            self.applied.superseded.append(old.id)

    async def _add(self, operation: Operation, *, category: FactCategory) -> MemoryFact:
        fact = MemoryFact(
            id=new_id(),
            user_id=self.user_id,
            character_id=self.character_id,
            content=operation.content,
            category=category,
            happened_at=operation.happened_at,
            status=FactStatus.ACTIVE,
            source_message_ids=list(self.sources),
        )
        await repository.add_fact(self.session, fact)
        await self._index(fact)
        self.facts[fact.id] = fact
        self.applied.added.append(fact.id)
        return fact

    async def _index(self, fact: MemoryFact) -> None:
        await self.index.index([fact_chunk(fact)], session=self.session, embedded=self.embedded)


def fact_text(content: str, happened_at: str | None) -> str:
    """A fact's indexed text: with its date, which questions often ask about."""
    return f"{content} ({happened_at})" if happened_at else content


def fact_chunk(fact: MemoryFact) -> ChunkInput:
    """How a fact is indexed for recall."""
    return ChunkInput(
        text=fact_text(fact.content, fact.happened_at),
        source_kind=SOURCE_KIND,
        source_id=fact.id,
        scope=Scope(character_id=fact.character_id, user_id=fact.user_id),
        metadata={"category": fact.category.value},
    )
