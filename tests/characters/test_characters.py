"""/api/v2/characters: create, read, list, update, delete, and what they refuse."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cognitia.models.character import CharacterTag
from cognitia.runtime import Runtime
from tests.characters.conftest import Account
from tests.characters.helpers import CHARACTERS, LOREBOOKS, LUNA, assert_error, create_character

pytestmark = pytest.mark.asyncio

EVERY_FIELD: dict[str, Any] = {
    "name": "Mira",
    "description": "A cartographer.\nShe maps dreams.",
    "personality": "curious, warm",
    "scenario": "A library at night.",
    "first_message": "*looks up* Oh, hello.",
    "alternate_greetings": ["Hi there.", "Welcome back."],
    "group_only_greetings": ["Hello, everyone."],
    "example_dialogue": "<START>\n{{user}}: Hi\n{{char}}: Hello!",
    "system_prompt": "Stay in character.",
    "post_history_instructions": "Be brief.",
    "prompt_template": "chatml",
    "creator_notes": "For testing.",
    "creator": "tester",
    "character_version": "2.1",
    "tags": ["Fantasy", "Maps"],
    "voice_model": "af_bella",
    "voice_settings": {"speed": 1.1},
    "model": "lane/roleplay",
    "temperature": 0.8,
    "top_p": 0.9,
    "max_tokens": 300,
    "talkativeness": 0.7,
    "extensions": {"depth_prompt": {"prompt": "x", "depth": 4}, "fav": True},
    "card_extra": {"card": {"avatar": "none"}, "data": {"nickname": "Mi"}},
    "visibility": "unlisted",
}


async def test_the_briefs_create_body_works_verbatim(
    client: httpx.AsyncClient, owner: Account
) -> None:
    user, headers = owner
    response = await client.post(CHARACTERS, json=LUNA, headers=headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert {key: body[key] for key in LUNA} == LUNA
    assert body["owner_id"] == user.id
    assert body["visibility"] == "private"
    assert body["avatar_url"] is None
    assert body["card_extra"] == {}
    fetched = await client.get(f"{CHARACTERS}/{body['id']}", headers=headers)
    assert fetched.json() == body


async def test_every_field_is_settable_and_read_back(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    body = await create_character(client, headers, **EVERY_FIELD)

    assert {key: body[key] for key in EVERY_FIELD} == EVERY_FIELD


async def test_unknown_fields_are_kept_in_card_extra(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    body = await create_character(client, headers, mood="sleepy", stats={"hp": 3, "tags": ["a"]})

    assert body["card_extra"] == {"data": {"mood": "sleepy", "stats": {"hp": 3, "tags": ["a"]}}}
    assert "mood" not in body


async def test_sillytavern_field_names_are_accepted(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    body = await create_character(client, headers, first_mes="Hey.", mes_example="<START>")

    assert body["first_message"] == "Hey."
    assert body["example_dialogue"] == "<START>"
    assert body["card_extra"] == {}


async def test_list_shows_own_characters_newest_first_in_pages(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    _, headers = owner
    names = ["First", "Second", "Third"]
    for name in names:
        await create_character(client, headers, name=name)
    await create_character(client, other[1], name="Not mine", visibility="public")

    first = (await client.get(CHARACTERS, params={"limit": 2}, headers=headers)).json()
    rest = (await client.get(CHARACTERS, params={"limit": 2, "offset": 2}, headers=headers)).json()

    assert [c["name"] for c in first["items"]] == ["Third", "Second"]
    assert [c["name"] for c in rest["items"]] == ["First"]
    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)


async def test_patch_changes_only_what_is_given(client: httpx.AsyncClient, owner: Account) -> None:
    _, headers = owner
    created = await create_character(client, headers, **EVERY_FIELD)
    url = f"{CHARACTERS}/{created['id']}"

    response = await client.patch(
        url, json={"description": "Changed.", "model": None, "temperature": None}, headers=headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["description"] == "Changed."
    assert (body["model"], body["temperature"]) == (None, None)
    unchanged = {
        k: v for k, v in EVERY_FIELD.items() if k not in ("description", "model", "temperature")
    }
    assert {key: body[key] for key in unchanged} == unchanged
    assert body["updated_at"] >= created["updated_at"]


@pytest.mark.parametrize("field", ["name", "description", "tags", "visibility", "talkativeness"])
async def test_patch_cannot_clear_a_required_field(
    client: httpx.AsyncClient, owner: Account, field: str
) -> None:
    _, headers = owner
    created = await create_character(client, headers)

    response = await client.patch(
        f"{CHARACTERS}/{created['id']}", json={field: None}, headers=headers
    )

    assert_error(response, 422, "validation_error")


async def test_patch_refuses_unknown_fields(client: httpx.AsyncClient, owner: Account) -> None:
    _, headers = owner
    created = await create_character(client, headers)

    response = await client.patch(
        f"{CHARACTERS}/{created['id']}", json={"nmae": "x"}, headers=headers
    )

    assert_error(response, 422, "validation_error")


async def test_tags_are_indexed_lower_cased_once_each(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime
) -> None:
    _, headers = owner
    created = await create_character(client, headers, tags=["Fantasy", "fantasy", "Sci-Fi"])
    await client.patch(
        f"{CHARACTERS}/{created['id']}", json={"tags": ["Sci-Fi", "Noir"]}, headers=headers
    )

    async with runtime.db.unit_of_work() as session:
        rows = await session.scalars(
            select(CharacterTag.tag).where(CharacterTag.character_id == created["id"])
        )
        assert sorted(rows.all()) == ["noir", "sci-fi"]
    assert created["tags"] == ["Fantasy", "fantasy", "Sci-Fi"]


async def test_delete_removes_the_character(client: httpx.AsyncClient, owner: Account) -> None:
    _, headers = owner
    created = await create_character(client, headers)
    url = f"{CHARACTERS}/{created['id']}"

    assert (await client.delete(url, headers=headers)).status_code == 204
    assert_error(await client.get(url, headers=headers), 404, "not_found")
    assert_error(await client.delete(url, headers=headers), 404, "not_found")


@pytest.mark.parametrize("model", ["smollm2-135m", "lane/chat", "lane/roleplay"])
async def test_model_may_be_a_catalogue_model_or_a_lane(
    client: httpx.AsyncClient, owner: Account, model: str
) -> None:
    body = await create_character(client, owner[1], model=model)

    assert body["model"] == model


BAD_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"prompt_template": "vicuna"}, "unknown_template"),
    ({"prompt_template": ""}, "unknown_template"),
    ({"model": "gpt-99"}, "unknown_model"),
    ({"model": "lane/nowhere"}, "unknown_model"),
    ({"name": ""}, "validation_error"),
    ({"name": "   "}, "validation_error"),
    ({"name": "x" * 101}, "validation_error"),
    ({"name": "a\nb"}, "validation_error"),
    ({"description": "x" * 50_001}, "validation_error"),
    ({"first_message": "nul \x00 inside"}, "validation_error"),
    ({"alternate_greetings": ["x"] * 101}, "validation_error"),
    ({"alternate_greetings": "not a list"}, "validation_error"),
    ({"tags": [f"t{i}" for i in range(31)]}, "validation_error"),
    ({"tags": ["x" * 65]}, "validation_error"),
    ({"tags": [""]}, "validation_error"),
    ({"temperature": 2.5}, "validation_error"),
    ({"temperature": -0.1}, "validation_error"),
    ({"top_p": 0}, "validation_error"),
    ({"top_p": 1.5}, "validation_error"),
    ({"max_tokens": 0}, "validation_error"),
    ({"max_tokens": 10**12}, "validation_error"),
    ({"talkativeness": 1.5}, "validation_error"),
    ({"extensions": []}, "validation_error"),
    ({"extensions": {"a": "\x00"}}, "validation_error"),
    ({"visibility": "secret"}, "validation_error"),
    ({"card_extra": {"other": {}}}, "validation_error"),
    ({"voice_model": ""}, "validation_error"),
    ({"nested_extra": {"k": "nul\x00"}}, "validation_error"),
]


@pytest.mark.parametrize(("fields", "code"), BAD_FIELDS, ids=lambda v: str(v)[:40])
async def test_bad_fields_are_refused_with_a_stable_code(
    client: httpx.AsyncClient, owner: Account, fields: dict[str, Any], code: str
) -> None:
    _, headers = owner
    created = await create_character(client, headers)

    made = await client.post(CHARACTERS, json={"name": "Ava", **fields}, headers=headers)
    changed = await client.patch(f"{CHARACTERS}/{created['id']}", json=fields, headers=headers)

    assert_error(made, 422, code)
    if "nested_extra" not in fields:  # PATCH refuses unknown fields before anything else
        assert_error(changed, 422, code)


async def test_a_character_can_use_only_its_owners_lorebook(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    _, headers = owner
    mine = (await client.post(LOREBOOKS, json={"name": "Mine"}, headers=headers)).json()
    theirs = (await client.post(LOREBOOKS, json={"name": "Theirs"}, headers=other[1])).json()

    created = await create_character(client, headers, lorebook_id=mine["id"])
    refused = await client.post(
        CHARACTERS, json={"name": "Ava", "lorebook_id": theirs["id"]}, headers=headers
    )
    patched = await client.patch(
        f"{CHARACTERS}/{created['id']}", json={"lorebook_id": theirs["id"]}, headers=headers
    )

    assert created["lorebook_id"] == mine["id"]
    assert_error(refused, 404, "not_found")
    assert_error(patched, 404, "not_found")


async def test_deleting_the_lorebook_detaches_it(client: httpx.AsyncClient, owner: Account) -> None:
    _, headers = owner
    book = (await client.post(LOREBOOKS, json={"name": "Mine"}, headers=headers)).json()
    created = await create_character(client, headers, lorebook_id=book["id"])

    await client.delete(f"{LOREBOOKS}/{book['id']}", headers=headers)

    fetched = await client.get(f"{CHARACTERS}/{created['id']}", headers=headers)
    assert fetched.json()["lorebook_id"] is None


async def test_signing_in_is_required(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", CHARACTERS),
        ("POST", CHARACTERS),
        ("GET", f"{CHARACTERS}/marketplace"),
    ]:
        response = await client.request(method, path, json={"name": "x"})
        assert_error(response, 401, "not_authenticated")
