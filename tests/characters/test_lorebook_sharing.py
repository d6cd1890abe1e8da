"""A character's lorebook goes to others with its card only when its owner shares it
(`share_lorebook`); the owner's own export always has it (docs/security.md)."""

from __future__ import annotations

import httpx
import pytest

from tests.characters.conftest import Account
from tests.characters.helpers import CHARACTERS, LOREBOOKS

pytestmark = pytest.mark.asyncio

SECRET = "The vault code is 0451."


async def _public_character_with_lore(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    book = (await client.post(LOREBOOKS, json={"name": "Lore"}, headers=headers)).json()
    entry = {"keys": ["vault"], "content": SECRET}
    added = await client.post(f"{LOREBOOKS}/{book['id']}/entries", json=entry, headers=headers)
    assert added.status_code == 201, added.text
    body = {"name": "Keeper", "visibility": "public", "lorebook_id": book["id"]}
    created = await client.post(CHARACTERS, json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["share_lorebook"] is False
    character_id: str = created.json()["id"]
    return character_id


async def _exported(client: httpx.AsyncClient, headers: dict[str, str], character_id: str) -> str:
    response = await client.get(
        f"{CHARACTERS}/{character_id}/export", params={"format": "json"}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.text


async def test_an_unshared_lorebook_stays_with_its_owner(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    character_id = await _public_character_with_lore(client, owner[1])

    assert SECRET not in await _exported(client, other[1], character_id)
    assert SECRET in await _exported(client, owner[1], character_id)


async def test_a_shared_lorebook_goes_with_the_card(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    character_id = await _public_character_with_lore(client, owner[1])
    shared = await client.patch(
        f"{CHARACTERS}/{character_id}", json={"share_lorebook": True}, headers=owner[1]
    )
    cleared = await client.patch(
        f"{CHARACTERS}/{character_id}", json={"share_lorebook": None}, headers=owner[1]
    )

    assert shared.status_code == 200
    assert shared.json()["share_lorebook"] is True
    assert cleared.status_code == 422
    assert SECRET in await _exported(client, other[1], character_id)
