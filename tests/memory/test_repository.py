"""memory.repository: a search's hits read back as the person's episodes with a character."""

from __future__ import annotations

import pytest

from cognitia.memory import repository
from cognitia.retrieval.types import ChunkInput, Scope
from cognitia.runtime import Runtime
from tests.retrieval.helpers import index_of, statements
from tests.support.factories import create_user

pytestmark = pytest.mark.asyncio


def episode(value: str, scope: Scope) -> ChunkInput:
    return ChunkInput(text=value, source_kind="message", source_id="m", scope=scope)


async def test_episodes_by_ids_are_the_persons_own_with_the_character(runtime: Runtime) -> None:
    alice, bob = await create_user(runtime), await create_user(runtime)
    own = Scope(character_id="aria", user_id=alice.id)
    others = [
        Scope(character_id="aria", user_id=bob.id),
        Scope(character_id="bran", user_id=alice.id),
        Scope(character_id="aria", user_id=alice.id, chat_id="chat-1"),
        Scope(character_id="aria"),
    ]
    mine = await index_of(runtime).index([episode("tea", own), episode("oslo", own)])
    theirs = await index_of(runtime).index([episode(f"other {i}", s) for i, s in enumerate(others)])

    async with runtime.db.read() as session:
        found = await repository.episodes_by_ids(
            session, character_id="aria", user_id=alice.id, chunk_ids=[*theirs, *mine]
        )
        none = await repository.episodes_by_ids(
            session, character_id="aria", user_id=alice.id, chunk_ids=[]
        )

    assert sorted(found) == sorted(mine)
    assert {found[i].text for i in mine} == {"tea", "oslo"}
    assert none == {}


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_episodes_are_read_through_the_id_index(runtime: Runtime) -> None:
    """With the scope in its WHERE clause SQLite's planner read the whole scope (every
    memory of the person with the character) through ix_chunk_scope to find a page of
    hits: linear in the memories (benchmarks/memory_search.py)."""
    alice = await create_user(runtime)
    own = Scope(character_id="aria", user_id=alice.id)
    ids = await index_of(runtime).index([episode(f"turn {i}", own) for i in range(3)])
    with statements(runtime) as sent:
        async with runtime.db.read() as session:
            await repository.episodes_by_ids(
                session, character_id="aria", user_id=alice.id, chunk_ids=ids
            )
    plans = []
    async with runtime.db.read() as session:
        connection = await session.connection()
        for sql, params in sent:
            if "FROM chunk" in sql:
                rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
                plans.append(" ".join(str(list(row)[-1]) for row in rows))  # detail

    assert plans
    assert all("ix_chunk_scope" not in plan for plan in plans), plans
