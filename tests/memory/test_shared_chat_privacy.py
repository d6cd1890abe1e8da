"""Privacy between the people of a shared chat (docs/security.md, "Shared chats").

Every piece of one person's private data (memory with a character, facts, data-bank
documents, persona) is planted with a unique marker. In a chat with several people no
marker may reach what another member can read: the messages and their
`context_sources`, the live events, and the reply text of a fake model that repeats
everything it was shown. The character's own documents are everyone's (the control that
shows recall ran at all).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cognitia.kit.ids import new_id
from cognitia.models.character import Character, Visibility
from cognitia.models.user import User
from cognitia.retrieval.types import ChunkInput, Scope, SourceKind
from cognitia.runtime import Runtime
from tests.chats.helpers import create_character, create_chat, messages, stream
from tests.retrieval.helpers import index_of
from tests.support.factories import user_with_token
from tests.support.fake_upstream import FakeUpstream, Script
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

TOPIC = "harbour lighthouse"
QUESTION = f"Tell me about the {TOPIC}."


def secret(label: str) -> str:
    return f"{label}-{new_id()[:8]}"


async def plant(runtime: Runtime, kind: SourceKind, scope: Scope, marker: str) -> str:
    """A chunk about the topic carrying `marker`, as recall finds it."""
    [chunk_id] = await index_of(runtime).index(
        [
            ChunkInput(
                text=f"The {TOPIC} secret is {marker}.",
                source_kind=kind,
                source_id=new_id(),
                scope=scope,
            )
        ],
    )
    return chunk_id


async def persona(client: httpx.AsyncClient, headers: dict[str, str], marker: str) -> str:
    body = {"name": "Captain", "description": f"The captain hides {marker}."}
    response = await client.post("/api/v2/personas", json=body, headers=headers)
    assert response.status_code == 201, response.text
    persona_id: str = response.json()["id"]
    return persona_id


async def private_data_of(
    runtime: Runtime, client: httpx.AsyncClient, headers: dict[str, str], user: User, char: str
) -> dict[str, str]:
    """Plant a person's memory, fact, data-bank document and persona; their markers."""
    markers = {name: secret(f"{name}-{user.first_name}") for name in ("EPISODE", "FACT", "DOC")}
    await plant(runtime, "message", Scope(character_id=char, user_id=user.id), markers["EPISODE"])
    await plant(runtime, "memory", Scope(character_id=char, user_id=user.id), markers["FACT"])
    await plant(runtime, "document", Scope(user_id=user.id), markers["DOC"])
    markers["PERSONA"] = secret(f"PERSONA-{user.first_name}")
    markers["persona_id"] = await persona(client, headers, markers["PERSONA"])
    return markers


def leaked(markers: dict[str, str], seen: Any) -> list[str]:
    text = repr(seen)
    return [name for name, marker in markers.items() if name != "persona_id" and marker in text]


def shown(upstream: FakeUpstream) -> str:
    return repr([r.body for r in upstream.requests_for("rp-model")])


async def turn(
    client: httpx.AsyncClient, headers: dict[str, str], chat_id: str, character_id: str
) -> list[tuple[str, dict[str, Any]]]:
    """One message answered by one character: every event of it (what each member's
    /events stream relays too)."""
    body = {"content": QUESTION, "character_id": character_id}
    return await stream(client, f"/api/v2/chats/{chat_id}/messages", headers, body)


async def readable(client: httpx.AsyncClient, headers: dict[str, str], chat_id: str) -> list[Any]:
    """What a member can read of a chat through the API."""
    items = await messages(client, chat_id, headers)
    details = [
        (await client.get(f"/api/v2/chats/{chat_id}/messages/{m['id']}", headers=headers)).json()
        for m in items
    ]
    chat = (await client.get(f"/api/v2/chats/{chat_id}", headers=headers)).json()
    listed = (await client.get("/api/v2/chats", headers=headers)).json()
    return [items, details, chat, listed]


Account = tuple[User, dict[str, str]]


async def people_and_aria(
    runtime: Runtime, client: httpx.AsyncClient
) -> tuple[Account, Account, Character]:
    """Alice, Bob, and Alice's private character Aria."""
    alice, bob = await user_with_token(runtime, client), await user_with_token(runtime, client)
    return alice, bob, await create_character(runtime, owner=alice[0], name="Aria")


async def test_no_private_marker_reaches_another_member(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    (alice, alice_headers), (bob, bob_headers), aria = await people_and_aria(runtime, client)
    bard = await create_character(runtime, owner=bob, name="Bard", visibility=Visibility.PUBLIC)
    alices = await private_data_of(runtime, client, alice_headers, alice, aria.id)
    bobs = await private_data_of(runtime, client, bob_headers, bob, bard.id)
    own_doc = secret("CHARACTER-DOC")
    await plant(runtime, "document", Scope(character_id=aria.id), own_doc)
    chat = await create_chat(
        client,
        alice_headers,
        aria.id,
        bard.id,
        participant_ids=[bob.id],
        persona_id=alices["persona_id"],
        strategy="manual",
    )
    upstream.script("rp-model", Script(echo_prompt=True), times=None)

    events = []
    for headers, speaker in [
        (alice_headers, aria.id),
        (bob_headers, bard.id),
        (alice_headers, bard.id),
        (bob_headers, aria.id),
    ]:
        events += await turn(client, headers, chat["id"], speaker)

    assert own_doc in shown(upstream)  # recall ran, with what everyone may read
    assert leaked(alices, shown(upstream)) == []
    assert leaked(bobs, shown(upstream)) == []
    assert leaked(alices | bobs, events) == []
    assert leaked(alices, await readable(client, bob_headers, chat["id"])) == []
    assert leaked(bobs, await readable(client, alice_headers, chat["id"])) == []


async def test_in_a_chat_of_ones_own_the_private_data_is_used(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    """The control: the same planting reaches the prompt when the person is alone."""
    alice, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=alice, name="Aria")
    alices = await private_data_of(runtime, client, headers, alice, aria.id)
    chat = await create_chat(client, headers, aria.id, persona_id=alices["persona_id"])
    upstream.script("rp-model", reply="Noted.")

    events = await turn(client, headers, chat["id"], aria.id)

    assert sorted(leaked(alices, shown(upstream))) == ["DOC", "EPISODE", "FACT", "PERSONA"]
    [completed] = [data for name, data in events if name == "message.completed"]
    sources = completed["message"]["context_sources"]
    assert {s["private"] for s in sources} == {True}
    assert all("text" in s for s in sources)  # hers to read while the chat is hers alone


async def test_a_chat_that_becomes_shared_loses_the_private_text_of_its_sources(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    (alice, alice_headers), (bob, bob_headers), aria = await people_and_aria(runtime, client)
    alices = await private_data_of(runtime, client, alice_headers, alice, aria.id)
    chat = await create_chat(client, alice_headers, aria.id)
    upstream.script("rp-model", reply="Noted.")
    await turn(client, alice_headers, chat["id"], aria.id)
    assert leaked(alices, await readable(client, alice_headers, chat["id"]))  # hers, alone

    added = await client.post(
        f"/api/v2/chats/{chat['id']}/participants", json={"user_id": bob.id}, headers=alice_headers
    )
    assert added.status_code == 200, added.text

    assert leaked(alices, await readable(client, bob_headers, chat["id"])) == []
    reply = (await messages(client, chat["id"], bob_headers))[-1]
    assert reply["context_sources"]
    assert all(s["private"] for s in reply["context_sources"])


async def test_opting_a_shared_chat_in_uses_ones_own_data_but_never_shows_its_sources(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    (alice, alice_headers), (bob, bob_headers), aria = await people_and_aria(runtime, client)
    alices = await private_data_of(runtime, client, alice_headers, alice, aria.id)
    bobs = await private_data_of(runtime, client, bob_headers, bob, aria.id)
    chat = await create_chat(client, alice_headers, aria.id, participant_ids=[bob.id])
    url = f"/api/v2/chats/{chat['id']}/participants"

    not_hers = await client.patch(
        f"{url}/{bob.id}", json={"share_private": True}, headers=alice_headers
    )
    opted = await client.patch(
        f"{url}/{alice.id}", json={"share_private": True}, headers=alice_headers
    )
    upstream.script("rp-model", reply="Noted.", times=None)
    events = await turn(client, alice_headers, chat["id"], aria.id)

    assert (not_hers.status_code, not_hers.json()["error"]) == (403, "not_yourself")
    assert opted.status_code == 200, opted.text
    me = [p for p in opted.json()["participants"] if p["user_id"] == alice.id]
    assert me[0]["share_private"] is True
    assert sorted(leaked(alices, shown(upstream))) == ["DOC", "EPISODE", "FACT"]
    assert leaked(bobs, shown(upstream)) == []  # Bob did not opt in
    assert leaked(alices, events) == []
    assert leaked(alices, await readable(client, bob_headers, chat["id"])) == []


async def test_a_shared_chat_remembers_as_the_chats_memory_not_a_persons(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    (alice, alice_headers), (bob, _), aria = await people_and_aria(runtime, client)
    chat = await create_chat(client, alice_headers, aria.id, participant_ids=[bob.id])
    upstream.script("rp-model", reply="The lamp is lit at dusk.")
    await turn(client, alice_headers, chat["id"], aria.id)

    async def indexed() -> list[Any] | None:
        hits = await index_of(runtime).search(
            query="lamp dusk",
            scopes=[Scope(character_id=aria.id, chat_id=chat["id"])],
            limit=5,
            kinds=["message"],
        )
        return hits or None

    hits = await eventually(indexed)
    assert any("lamp is lit" in h.text for h in hits)
    personal = await index_of(runtime).search(
        query="lamp dusk",
        scopes=[Scope(character_id=aria.id, user_id=alice.id)],
        limit=5,
        kinds=["message"],
    )
    assert personal == []
