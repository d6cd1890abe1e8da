"""A chat's owner must still be allowed to use each character, at every reply; a branch
keeps only the characters its new owner may use (docs/security.md)."""

from __future__ import annotations

import httpx
import pytest

from cognitia.models.character import Visibility
from cognitia.runtime import Runtime
from tests.chats.helpers import create_character, create_chat
from tests.support.factories import user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio


async def _say(
    client: httpx.AsyncClient, headers: dict[str, str], chat_id: str, **body: str
) -> httpx.Response:
    return await client.post(
        f"/api/v2/chats/{chat_id}/messages", json={"content": "Hello", **body}, headers=headers
    )


async def test_a_member_cannot_branch_away_with_a_private_character(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    alice, alice_headers = await user_with_token(runtime, client)
    bob, bob_headers = await user_with_token(runtime, client)
    secret = await create_character(runtime, owner=alice, name="Secret")
    chat = await create_chat(client, alice_headers, secret.id, participant_ids=[bob.id])
    upstream.script("rp-model", reply="Hi.")
    first = (await _say(client, alice_headers, chat["id"])).json()["replies"][0]

    branched = await client.post(
        f"/api/v2/chats/{chat['id']}/branch", json={"message_id": first["id"]}, headers=bob_headers
    )

    assert (branched.status_code, branched.json()["error"]) == (403, "character_unavailable")


async def test_a_branch_keeps_only_the_characters_its_new_owner_may_use(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    alice, alice_headers = await user_with_token(runtime, client)
    bob, bob_headers = await user_with_token(runtime, client)
    secret = await create_character(runtime, owner=alice, name="Secret")
    open_one = await create_character(
        runtime, owner=alice, name="Open", visibility=Visibility.PUBLIC
    )
    chat = await create_chat(
        client, alice_headers, secret.id, open_one.id, participant_ids=[bob.id]
    )
    upstream.script("rp-model", reply="Hi.", times=None)
    said = await _say(client, alice_headers, chat["id"], character_id=secret.id)
    first = said.json()["replies"][0]

    branched = await client.post(
        f"/api/v2/chats/{chat['id']}/branch", json={"message_id": first["id"]}, headers=bob_headers
    )
    assert branched.status_code == 201, branched.text
    branch = branched.json()
    asked = await _say(client, bob_headers, branch["id"], character_id=secret.id)

    assert [c["id"] for c in branch["characters"]] == [open_one.id]
    assert (asked.status_code, asked.json()["error"]) == (422, "speaker_not_in_chat")


async def test_a_character_made_private_stops_answering_in_others_chats(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    alice, alice_headers = await user_with_token(runtime, client)
    _, bob_headers = await user_with_token(runtime, client)
    shared = await create_character(runtime, owner=alice, name="Once", visibility=Visibility.PUBLIC)
    chat = await create_chat(client, bob_headers, shared.id)
    upstream.script("rp-model", reply="Hi.", times=None)
    before = await _say(client, bob_headers, chat["id"])

    hidden = await client.patch(
        f"/api/v2/characters/{shared.id}", json={"visibility": "private"}, headers=alice_headers
    )
    after = await _say(client, bob_headers, chat["id"])
    still_readable = await client.get(f"/api/v2/chats/{chat['id']}/messages", headers=bob_headers)

    assert (before.status_code, hidden.status_code) == (200, 200)
    assert (after.status_code, after.json()["error"]) == (403, "character_unavailable")
    assert still_readable.status_code == 200
