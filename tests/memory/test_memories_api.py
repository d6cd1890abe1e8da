"""/api/v2/characters/{id}/memories: list, search, edit, delete, clear; only the caller's."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from cognitia.memory.semantic import fact_chunk
from cognitia.models.chunk import Chunk
from cognitia.models.memory_fact import MemoryFact
from cognitia.models.user import User
from cognitia.runtime import Runtime
from tests.chats.helpers import create_character, create_chat
from tests.memory.helpers import memories, remembered, say
from tests.retrieval.helpers import index_of
from tests.support.factories import delete_account, user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

TOLD = "I grow tomatoes on my balcony in Oslo."


async def add_fact(runtime: Runtime, *, user: User, character_id: str, content: str) -> str:
    async with runtime.db.unit_of_work() as session:
        fact = MemoryFact(user_id=user.id, character_id=character_id, content=content)
        session.add(fact)
        await session.flush()
        await index_of(runtime).index([fact_chunk(fact)], session=session)
        return fact.id


async def test_list_search_edit_delete_and_clear(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    alice, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=alice)
    chat = await create_chat(client, headers, aria.id)
    upstream.script("rp-model", reply="Tomatoes love the sun.")
    await say(client, headers, chat["id"], TOLD)
    fact_id = await add_fact(
        runtime, user=alice, character_id=aria.id, content="Has a cat called Miso."
    )
    url = f"/api/v2/characters/{aria.id}/memories"

    page = await remembered(client, headers, aria.id, 3)
    assert [(i["kind"], i["content"]) for i in page["items"]] == [
        ("fact", "Has a cat called Miso."),
        ("episode", "Tomatoes love the sun."),
        ("episode", TOLD),
    ]
    assert all({"id", "content", "kind", "created_at"} <= set(i) for i in page["items"])
    second = await memories(client, headers, aria.id, limit=1, offset=1)
    assert [i["content"] for i in second["items"]] == ["Tomatoes love the sun."]
    assert second["total"] == 3

    found = await memories(client, headers, aria.id, q="balcony tomatoes")
    assert found["items"][0]["content"] == TOLD
    cat = await memories(client, headers, aria.id, q="cat Miso")
    assert cat["items"][0]["id"] == fact_id

    edited = await client.patch(
        f"{url}/{fact_id}", json={"content": "Has two cats."}, headers=headers
    )
    assert (edited.status_code, edited.json()["content"]) == (200, "Has two cats.")
    assert (await memories(client, headers, aria.id, q="two cats"))["items"][0]["id"] == fact_id
    episode_id = found["items"][0]["id"]
    refused = await client.patch(f"{url}/{episode_id}", json={"content": "x"}, headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (409, "memory_not_editable")

    assert (await client.delete(f"{url}/{episode_id}", headers=headers)).status_code == 204
    assert (await client.delete(f"{url}/{episode_id}", headers=headers)).status_code == 404
    left = await memories(client, headers, aria.id)
    assert TOLD not in [i["content"] for i in left["items"]]

    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await memories(client, headers, aria.id))["total"] == 0
    assert (await memories(client, headers, aria.id, q="cats tomatoes"))["items"] == []


async def test_memories_are_the_callers_only(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    alice, headers = await user_with_token(runtime, client)
    bob, bob_headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=alice)
    fact_id = await add_fact(runtime, user=alice, character_id=aria.id, content="Likes jazz.")
    url = f"/api/v2/characters/{aria.id}/memories"

    for method, path in (("GET", url), ("DELETE", url), ("DELETE", f"{url}/{fact_id}")):
        response = await client.request(method, path, headers=bob_headers)
        assert response.status_code == 404, (method, path)
    bobs = await create_character(runtime, owner=bob)
    other_url = f"/api/v2/characters/{bobs.id}/memories"
    assert (await client.delete(f"{other_url}/{fact_id}", headers=bob_headers)).status_code == 404
    assert (await memories(client, headers, aria.id))["total"] == 1


async def test_deleting_a_message_forgets_it(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    alice, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=alice)
    chat = await create_chat(client, headers, aria.id)
    upstream.script("rp-model", reply="Tomatoes love the sun.")
    reply = await say(client, headers, chat["id"], TOLD)
    await remembered(client, headers, aria.id, 2)

    deleted = await client.delete(
        f"/api/v2/chats/{chat['id']}/messages/{reply['id']}", headers=headers
    )

    assert deleted.status_code == 204, deleted.text
    page = await memories(client, headers, aria.id)
    assert [i["content"] for i in page["items"]] == [TOLD]


async def test_deleting_the_user_deletes_their_memories(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    alice, headers = await user_with_token(runtime, client)
    owner, _ = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=owner, visibility="public")
    chat = await create_chat(client, headers, aria.id)
    upstream.script("rp-model", reply="Tomatoes love the sun.")
    await say(client, headers, chat["id"], TOLD)
    await add_fact(runtime, user=alice, character_id=aria.id, content="Likes jazz.")
    await remembered(client, headers, aria.id, 3)

    assert (await delete_account(client, headers)).status_code == 204

    async with runtime.db.read() as session:
        chunks = await session.scalar(
            select(func.count()).select_from(Chunk).where(Chunk.user_id == alice.id)
        )
        facts = await session.scalar(
            select(func.count()).select_from(MemoryFact).where(MemoryFact.user_id == alice.id)
        )
    assert (chunks, facts) == (0, 0)
