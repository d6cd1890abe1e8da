"""Private, unlisted, public: who can reach a character, and how the others are told no."""

from __future__ import annotations

import httpx
import pytest

from cognitia.characters import service
from cognitia.characters.errors import CharacterNotFound
from cognitia.runtime import Runtime
from tests.characters.conftest import Account
from tests.characters.helpers import CHARACTERS, assert_error, create_character, image_bytes, upload

pytestmark = pytest.mark.asyncio


def _requests(character_id: str, user_id: str) -> list[tuple[str, str, dict[str, object]]]:
    base = f"{CHARACTERS}/{character_id}"
    return [
        ("PATCH", base, {"json": {"name": "Mine now"}}),
        ("DELETE", base, {}),
        ("PUT", f"{base}/avatar", {"files": upload(image_bytes())}),
        ("DELETE", f"{base}/avatar", {}),
        ("GET", f"{base}/voice-permission", {}),
        ("POST", f"{base}/voice-permission", {"json": {"user_id": user_id}}),
        ("DELETE", f"{base}/voice-permission/{user_id}", {}),
    ]


async def test_another_users_private_character_is_not_found_everywhere(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    character = await create_character(client, owner[1], name="Hidden")
    base = f"{CHARACTERS}/{character['id']}"
    reads = [("GET", base, {}), ("GET", f"{base}/avatar", {}), ("GET", f"{base}/export", {})]

    for method, url, extra in [*reads, *_requests(character["id"], other[0].id)]:
        response = await client.request(method, url, headers=other[1], **extra)  # type: ignore[arg-type]
        assert_error(response, 404, "not_found")
    assert (await client.get(base, headers=owner[1])).json()["name"] == "Hidden"


@pytest.mark.parametrize("visibility", ["unlisted", "public"])
async def test_a_shared_character_is_readable_but_only_its_owner_changes_it(
    client: httpx.AsyncClient, owner: Account, other: Account, visibility: str
) -> None:
    character = await create_character(client, owner[1], visibility=visibility)
    base = f"{CHARACTERS}/{character['id']}"

    assert (await client.get(base, headers=other[1])).status_code == 200
    assert (
        await client.get(f"{base}/export", params={"format": "json"}, headers=other[1])
    ).status_code == 200
    for method, url, extra in _requests(character["id"], other[0].id):
        response = await client.request(method, url, headers=other[1], **extra)  # type: ignore[arg-type]
        assert_error(response, 403, "not_owner")
    assert (await client.get(base, headers=owner[1])).json()["name"] == "Ava"


async def test_only_public_characters_are_listed_in_the_marketplace(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    for visibility in ("private", "unlisted", "public"):
        await create_character(client, owner[1], name=visibility, visibility=visibility)

    for _, headers in (owner, other):
        listed = (await client.get(f"{CHARACTERS}/marketplace", headers=headers)).json()
        assert [c["name"] for c in listed["items"]] == ["public"]
    assert (await client.get(CHARACTERS, headers=other[1])).json()["total"] == 0


async def test_making_a_character_private_hides_it_again(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    character = await create_character(client, owner[1], visibility="public")
    base = f"{CHARACTERS}/{character['id']}"

    await client.patch(base, json={"visibility": "private"}, headers=owner[1])

    assert_error(await client.get(base, headers=other[1]), 404, "not_found")


async def test_service_visibility_for_other_domains(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, other: Account
) -> None:
    private = await create_character(client, owner[1], name="Private")
    public = await create_character(client, owner[1], name="Public", visibility="public")
    theirs = await create_character(client, other[1], name="Theirs")

    async with runtime.db.unit_of_work() as session:
        user = other[0]
        found = await service.list_visible_by_ids(
            session, user=user, character_ids=[theirs["id"], public["id"], theirs["id"]]
        )
        assert [c.name for c in found] == ["Theirs", "Public"]
        assert (
            await service.get_visible(session, user=user, character_id=public["id"])
        ).name == "Public"
        with pytest.raises(CharacterNotFound):
            await service.get_visible(session, user=user, character_id=private["id"])
        with pytest.raises(CharacterNotFound):
            await service.list_visible_by_ids(
                session, user=user, character_ids=[public["id"], private["id"]]
            )
        with pytest.raises(CharacterNotFound):
            await service.list_visible_by_ids(session, user=user, character_ids=["nope\x00"])
        every = await service.list_by_ids(session, character_ids=[private["id"], "missing"])
        assert [c.name for c in every] == ["Private"]
