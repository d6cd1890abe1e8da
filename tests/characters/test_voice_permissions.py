"""POST/DELETE /api/v2/characters/{id}/voice-permission: the owner lends the voice."""

from __future__ import annotations

import httpx
import pytest

from cognitia.characters import service
from cognitia.runtime import Runtime
from tests.characters.conftest import Account
from tests.characters.helpers import CHARACTERS, assert_error, create_character
from tests.support.factories import user_with_token

pytestmark = pytest.mark.asyncio


async def _can_use(runtime: Runtime, account: Account, character_id: str) -> bool:
    async with runtime.db.unit_of_work() as session:
        character = await service.get_visible(session, user=account[0], character_id=character_id)
        return await service.can_use_voice(session, user=account[0], character=character)


async def test_grant_list_and_revoke(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, other: Account
) -> None:
    character = await create_character(
        client, owner[1], voice_model="af_bella", visibility="public"
    )
    url = f"{CHARACTERS}/{character['id']}/voice-permission"
    assert await _can_use(runtime, owner, character["id"])
    assert not await _can_use(runtime, other, character["id"])

    granted = await client.post(url, json={"user_id": other[0].id}, headers=owner[1])
    again = await client.post(url, json={"user_id": other[0].id}, headers=owner[1])
    listed = await client.get(url, headers=owner[1])

    assert granted.status_code == 200, granted.text
    assert granted.json()["user_id"] == other[0].id
    assert again.json() == granted.json()
    assert [p["user_id"] for p in listed.json()] == [other[0].id]
    assert await _can_use(runtime, other, character["id"])

    revoked = await client.delete(f"{url}/{other[0].id}", headers=owner[1])

    assert revoked.status_code == 204
    assert not await _can_use(runtime, other, character["id"])
    assert_error(await client.delete(f"{url}/{other[0].id}", headers=owner[1]), 404, "not_found")
    assert (await client.get(url, headers=owner[1])).json() == []


async def test_granting_names_a_real_other_user(client: httpx.AsyncClient, owner: Account) -> None:
    character = await create_character(client, owner[1])
    url = f"{CHARACTERS}/{character['id']}/voice-permission"

    unknown = await client.post(url, json={"user_id": "no-such-user"}, headers=owner[1])
    self_grant = await client.post(url, json={"user_id": owner[0].id}, headers=owner[1])
    empty = await client.post(url, json={}, headers=owner[1])

    assert_error(unknown, 404, "not_found")
    assert_error(self_grant, 422, "validation_error")
    assert_error(empty, 422, "validation_error")


async def test_only_the_owner_lends_the_voice(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, other: Account
) -> None:
    third = await user_with_token(runtime, client)
    public = await create_character(client, owner[1], visibility="public")
    private = await create_character(client, owner[1])

    for character, status, code in [(public, 403, "not_owner"), (private, 404, "not_found")]:
        url = f"{CHARACTERS}/{character['id']}/voice-permission"
        granted = await client.post(url, json={"user_id": third[0].id}, headers=other[1])
        revoked = await client.delete(f"{url}/{third[0].id}", headers=other[1])
        assert_error(granted, status, code)
        assert_error(revoked, status, code)
