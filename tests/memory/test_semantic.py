"""Fact extraction: the extract lane's operations applied to memory_fact and the index."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from cognitia.config import Settings
from cognitia.jobs import registry
from cognitia.jobs.deferred import peek
from cognitia.llm.service import ModelsUnavailable
from cognitia.memory import semantic
from cognitia.models.memory_fact import FactCategory, FactStatus, MemoryFact
from cognitia.models.message import Message
from cognitia.retrieval.types import Scope
from cognitia.runtime import Runtime
from tests.memory.llm_fakes import (
    EXTRACT_MODEL,
    chat_with_messages,
    memory_settings,
    user_and_character,
)
from tests.retrieval.helpers import index_of
from tests.support.fake_upstream import FakeUpstream
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

HANG_GUARD_SECONDS = 60  # a safety net against hangs, not a measurement

SAID: list[semantic.Said] = [
    ("m-1", "Ana", "I moved to Lisbon last spring and I adore green tea.", "2024-05-02"),
    ("m-2", "Mira", "Lisbon! How lovely.", "2024-05-02"),
]


@pytest.fixture
def settings(database_url: str, tmp_path: Path, upstream: FakeUpstream) -> Settings:
    return memory_settings(database_url, tmp_path, upstream)


def answer(upstream: FakeUpstream, *operations: dict[str, Any]) -> None:
    upstream.script(EXTRACT_MODEL, reply=json.dumps({"operations": list(operations)}))


async def facts(runtime: Runtime, user_id: str, character_id: str) -> list[MemoryFact]:
    async with runtime.db.read() as session:
        rows = await session.scalars(
            select(MemoryFact)
            .where(MemoryFact.user_id == user_id, MemoryFact.character_id == character_id)
            .order_by(MemoryFact.created_at, MemoryFact.id)
        )
        return list(rows)


async def recall(runtime: Runtime, query: str, user_id: str, character_id: str) -> list[str]:
    hits = await index_of(runtime).search(
        query=query,
        scopes=[Scope(character_id=character_id, user_id=user_id)],
        kinds=["memory"],
    )
    return [hit.source_id for hit in hits]


async def extract(runtime: Runtime, user_id: str, character_id: str) -> semantic.Applied:
    return await semantic.extract_facts(
        runtime.models,
        runtime.usage,
        index_of(runtime),
        user_id=user_id,
        character_id=character_id,
        messages=SAID,
    )


async def seed(
    runtime: Runtime, upstream: FakeUpstream, user_id: str, character_id: str
) -> MemoryFact:
    answer(
        upstream,
        {
            "op": "add",
            "content": "Ana lives in Lisbon",
            "category": "biography",
            "happened_at": "2024 spring",
        },
    )
    applied = await extract(runtime, user_id, character_id)
    [fact] = await facts(runtime, user_id, character_id)
    assert applied.added == [fact.id]
    return fact


async def test_add_stores_and_indexes_facts(runtime: Runtime, upstream: FakeUpstream) -> None:
    user_id, character_id = await user_and_character(runtime)
    answer(
        upstream,
        {
            "op": "add",
            "content": "Ana lives in Lisbon",
            "category": "biography",
            "happened_at": "2024 spring",
        },
        {"op": "add", "content": "Ana adores green tea", "category": "preference"},
    )

    applied = await extract(runtime, user_id, character_id)

    lisbon, tea = await facts(runtime, user_id, character_id)
    assert applied.added == [lisbon.id, tea.id]
    assert (lisbon.category, lisbon.happened_at) == (FactCategory.BIOGRAPHY, "2024 spring")
    assert tea.category == FactCategory.PREFERENCE
    assert lisbon.status == FactStatus.ACTIVE
    assert lisbon.source_message_ids == ["m-1", "m-2"]
    assert (await recall(runtime, "green tea", user_id, character_id))[0] == tea.id
    [request] = [r for r in upstream.requests if r.model == EXTRACT_MODEL]
    assert request.body["response_format"]["type"] == "json_schema"


async def test_known_facts_are_numbered_and_update_reindexes(
    runtime: Runtime, upstream: FakeUpstream
) -> None:
    user_id, character_id = await user_and_character(runtime)
    fact = await seed(runtime, upstream, user_id, character_id)
    answer(upstream, {"op": "update", "id": 1, "content": "Ana lives in Porto"})

    applied = await extract(runtime, user_id, character_id)

    [updated] = await facts(runtime, user_id, character_id)
    assert applied.updated == [fact.id]
    assert updated.content == "Ana lives in Porto"
    assert updated.happened_at == "2024 spring"
    prompt = [r for r in upstream.requests if r.model == EXTRACT_MODEL][-1]
    assert "1. Ana lives in Lisbon" in prompt.body["messages"][-1]["content"]
    hits = await index_of(runtime).search(
        query="Porto", scopes=[Scope(character_id=character_id, user_id=user_id)]
    )
    assert [h.text for h in hits] == ["Ana lives in Porto (2024 spring)"]


async def test_supersede_keeps_the_old_fact(runtime: Runtime, upstream: FakeUpstream) -> None:
    user_id, character_id = await user_and_character(runtime)
    old = await seed(runtime, upstream, user_id, character_id)
    answer(upstream, {"op": "supersede", "id": old.id, "content": "Ana moved to Berlin"})

    applied = await extract(runtime, user_id, character_id)

    before, after = await facts(runtime, user_id, character_id)
    assert applied.superseded == [old.id]
    assert applied.added == [after.id]
    assert before.id == old.id
    assert before.status == FactStatus.SUPERSEDED
    assert before.superseded_by == after.id
    assert after.status == FactStatus.ACTIVE
    assert after.category == FactCategory.BIOGRAPHY
    assert await recall(runtime, "Ana lives moved Lisbon Berlin", user_id, character_id) == [
        after.id
    ]


async def test_forget_removes_it_from_recall(runtime: Runtime, upstream: FakeUpstream) -> None:
    user_id, character_id = await user_and_character(runtime)
    fact = await seed(runtime, upstream, user_id, character_id)
    answer(upstream, {"op": "forget", "id": "1"})

    applied = await extract(runtime, user_id, character_id)

    [forgotten] = await facts(runtime, user_id, character_id)
    assert applied.forgotten == [fact.id]
    assert forgotten.status == FactStatus.FORGOTTEN
    assert await recall(runtime, "Ana lives in Lisbon", user_id, character_id) == []


@pytest.mark.parametrize(
    "reply",
    [
        "Sure! Ana likes tea.",
        '{"operations": [{"op": "add", "content": "Ana',
        '{"facts": ["Ana likes tea"]}',
        '[{"op": "add", "content": "x"}]',
        '{"operations": [{"op": "explode"}, {"op": "forget", "id": 7}, {"op": "add"}, 5]}',
    ],
)
async def test_junk_changes_nothing(runtime: Runtime, upstream: FakeUpstream, reply: str) -> None:
    user_id, character_id = await user_and_character(runtime)
    fact = await seed(runtime, upstream, user_id, character_id)
    upstream.script(EXTRACT_MODEL, reply=reply)

    applied = await extract(runtime, user_id, character_id)

    assert applied == semantic.Applied()
    [same] = await facts(runtime, user_id, character_id)
    assert (same.id, same.content, same.status) == (fact.id, fact.content, FactStatus.ACTIVE)


async def test_facts_are_scoped_to_one_person(runtime: Runtime, upstream: FakeUpstream) -> None:
    ana, character_id = await user_and_character(runtime)
    bob, _ = await user_and_character(runtime, first_name="Bob")
    fact = await seed(runtime, upstream, ana, character_id)
    # Bob's extraction sees none of Ana's facts and cannot name them.
    answer(upstream, {"op": "forget", "id": fact.id}, {"op": "forget", "id": 1})

    applied = await extract(runtime, bob, character_id)

    assert applied == semantic.Applied()
    prompt = [r for r in upstream.requests if r.model == EXTRACT_MODEL][-1]
    assert "(none)" in prompt.body["messages"][-1]["content"]
    assert await recall(runtime, "Ana lives in Lisbon", bob, character_id) == []
    assert await recall(runtime, "Ana lives in Lisbon", ana, character_id) == [fact.id]


async def test_after_exchange_defers_the_job(runtime: Runtime) -> None:
    async with runtime.db.read() as session:
        semantic.after_exchange(
            session, chat_id="c", character_id="ch", user_id="u", message_ids=["m-1"]
        )
        semantic.after_exchange(
            session, chat_id="c", character_id="ch", user_id="u", message_ids=[]
        )
        [deferred] = peek(session)
    assert deferred.name == "memory.extract_facts"
    assert deferred.payload["message_ids"] == ["m-1"]


async def test_the_job_reads_the_messages(runtime: Runtime, upstream: FakeUpstream) -> None:
    user_id, character_id = await user_and_character(runtime)
    chat_id = await chat_with_messages(runtime, owner_id=user_id, count=3)
    async with runtime.db.read() as session:
        ids = list(await session.scalars(select(Message.id).where(Message.chat_id == chat_id)))
    answer(upstream, {"op": "add", "content": "Ana counts messages", "category": "other"})

    # Through the registry, as the worker runs it: the stored JSON is validated into the
    # payload type.
    await registry.get(semantic.EXTRACT_FACTS).run(
        runtime,
        {"chat_id": chat_id, "character_id": character_id, "user_id": user_id, "message_ids": ids},
    )

    [fact] = await facts(runtime, user_id, character_id)
    assert fact.content == "Ana counts messages"
    assert sorted(fact.source_message_ids) == sorted(ids)
    [request] = [r for r in upstream.requests if r.model == EXTRACT_MODEL]
    prompt = request.body["messages"][-1]["content"]
    assert "Ana: message number 1" in prompt
    assert "Mira: message number 2" in prompt
    assert "Ana" in request.body["messages"][0]["content"]


async def test_an_extraction_cut_off_half_way_raises_so_its_job_runs_again(
    runtime: Runtime, upstream: FakeUpstream
) -> None:
    """Preempted by a person's reply on the local model, or a crash: nothing is skipped."""
    user_id, character_id = await user_and_character(runtime)
    upstream.script(EXTRACT_MODEL, reply='{"operations": [{"op": "add"', fail_after=2)

    with pytest.raises(ModelsUnavailable, match="fact extraction failed"):
        await extract(runtime, user_id, character_id)

    assert await facts(runtime, user_id, character_id) == []


async def test_facts_are_embedded_before_the_writers_lock_is_taken(
    runtime: Runtime, upstream: FakeUpstream, db_backend: str
) -> None:
    """A slow embedder never holds up other writers: while extraction's embedding waits,
    another unit of work commits (on SQLite, one writer at a time)."""
    user_id, character_id = await user_and_character(runtime)
    answer(
        upstream,
        {"op": "add", "content": "Ana keeps bees", "category": "other"},
        {"op": "add", "content": "Ana sells honey", "category": "other"},
    )
    upstream.script("embed-fake", hold_batches=True, times=None)  # two texts: held

    async with asyncio.timeout(HANG_GUARD_SECONDS):
        extraction = asyncio.create_task(extract(runtime, user_id, character_id))
        await eventually(upstream.holding)
        async with runtime.db.unit_of_work() as session:  # another writer, meanwhile
            await session.execute(update(MemoryFact).values(content=MemoryFact.content))
        still_embedding = not extraction.done()
        upstream.release_held()
        applied = await extraction

    assert still_embedding
    bees, honey = await facts(runtime, user_id, character_id)
    assert applied.added == [bees.id, honey.id]
    assert (bees.content, honey.content) == ("Ana keeps bees", "Ana sells honey")
