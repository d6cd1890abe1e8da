"""DELETE /api/v2/users/me also removes the characters, lorebooks, personas and pictures."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from cognitia.models.character import Character, CharacterTag, VoicePermission
from cognitia.models.lorebook import Lorebook, LorebookEntry
from cognitia.models.persona import Persona
from cognitia.runtime import Runtime
from cognitia.storage.providers.local import LocalBlobStore
from tests.characters.conftest import Account
from tests.characters.helpers import PERSONAS, imported, real_card
from tests.support.factories import delete_account
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio


async def _count(runtime: Runtime, column: InstrumentedAttribute[str], values: list[str]) -> int:
    async with runtime.db.unit_of_work() as session:
        query = select(func.count()).select_from(column.class_).where(column.in_(values))
        return int(await session.scalar(query) or 0)


def _blobs(runtime: Runtime) -> list[Path]:
    store = runtime.blobs
    assert isinstance(store, LocalBlobStore)
    return sorted(p for p in store.root.rglob("*") if p.is_file()) if store.root.exists() else []


async def _owned(runtime: Runtime, owner_id: str) -> dict[str, int]:
    async with runtime.db.unit_of_work() as session:
        characters = list(
            await session.scalars(select(Character.id).where(Character.owner_id == owner_id))
        )
        books = list(
            await session.scalars(select(Lorebook.id).where(Lorebook.owner_id == owner_id))
        )
    return {
        "character": len(characters),
        "character_tag": await _count(runtime, CharacterTag.character_id, characters),
        "voice_permission": await _count(runtime, VoicePermission.character_id, characters),
        "lorebook": len(books),
        "lorebook_entry": await _count(runtime, LorebookEntry.lorebook_id, books),
        "persona": await _count(runtime, Persona.owner_id, [owner_id]),
    }


async def _everything(client: httpx.AsyncClient, account: Account, friend_id: str) -> str:
    """A card with a picture and a lorebook, a tagged public character, a persona."""
    _, headers = account
    seraphina = (await imported(client, headers, real_card("default_Seraphina.png")))["character"]
    await client.patch(
        f"/api/v2/characters/{seraphina['id']}",
        json={"tags": ["Fantasy"], "visibility": "public"},
        headers=headers,
    )
    await client.post(
        f"/api/v2/characters/{seraphina['id']}/voice-permission",
        json={"user_id": friend_id},
        headers=headers,
    )
    await client.post(PERSONAS, json={"name": "Me", "is_default": True}, headers=headers)
    return str(seraphina["id"])


async def test_deleting_an_account_removes_what_it_owns_and_its_pictures(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, other: Account
) -> None:
    await _everything(client, owner, other[0].id)
    kept = await _everything(client, other, owner[0].id)
    assert await _owned(runtime, owner[0].id) == {
        "character": 1,
        "character_tag": 1,
        "voice_permission": 1,
        "lorebook": 1,
        "lorebook_entry": 4,
        "persona": 1,
    }
    theirs_before = await _owned(runtime, other[0].id)
    [kept_picture] = [p for p in _blobs(runtime) if kept in str(p)]

    response = await delete_account(client, owner[1])

    assert response.status_code == 204
    assert set((await _owned(runtime, owner[0].id)).values()) == {0}

    async def only_theirs_left() -> bool:
        return _blobs(runtime) == [kept_picture]

    await eventually(only_theirs_left)
    # The other account lost only the permission it had been granted.
    assert await _owned(runtime, other[0].id) == {**theirs_before, "voice_permission": 0}
    picture = await client.get(f"/api/v2/characters/{kept}/avatar", headers=other[1])
    assert picture.status_code == 200
