"""/api/v2/personas: who the user is in a chat; one default at most."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cognitia.characters.personas import service
from cognitia.runtime import Runtime
from tests.characters.conftest import Account
from tests.characters.helpers import PERSONAS, assert_error

pytestmark = pytest.mark.asyncio


async def _persona(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    response = await client.post(PERSONAS, json={"name": "Sam", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _defaults(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    listed = (await client.get(PERSONAS, headers=headers)).json()
    return [p["name"] for p in listed if p["is_default"]]


async def test_persona_crud(client: httpx.AsyncClient, owner: Account) -> None:
    _, headers = owner
    persona = await _persona(client, headers, description="A traveller.")
    url = f"{PERSONAS}/{persona['id']}"

    patched = await client.patch(url, json={"name": "Samuel"}, headers=headers)

    assert patched.json()["name"] == "Samuel"
    assert patched.json()["description"] == "A traveller."
    assert (await client.get(url, headers=headers)).json() == patched.json()
    assert [p["id"] for p in (await client.get(PERSONAS, headers=headers)).json()] == [
        persona["id"]
    ]
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert_error(await client.get(url, headers=headers), 404, "not_found")


async def test_only_one_default_per_user(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, other: Account
) -> None:
    _, headers = owner
    first = await _persona(client, headers, name="First", is_default=True)
    await _persona(client, headers, name="Second", is_default=True)
    await _persona(client, other[1], name="Theirs", is_default=True)
    assert await _defaults(client, headers) == ["Second"]

    await client.patch(f"{PERSONAS}/{first['id']}", json={"is_default": True}, headers=headers)

    assert await _defaults(client, headers) == ["First"]
    assert await _defaults(client, other[1]) == ["Theirs"]
    async with runtime.db.unit_of_work() as session:
        found = await service.get_default(session, owner=owner[0])
        assert found is not None
        assert found.name == "First"

    await client.patch(f"{PERSONAS}/{first['id']}", json={"is_default": False}, headers=headers)

    assert await _defaults(client, headers) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"name": ""},
        {"name": "x" * 101},
        {"description": "x" * 50_001},
        {"is_default": "maybe"},
        {"x": 1},
    ],
    ids=str,
)
async def test_bad_personas_are_refused(
    client: httpx.AsyncClient, owner: Account, fields: dict[str, Any]
) -> None:
    persona = await _persona(client, owner[1])

    made = await client.post(PERSONAS, json={"name": "A", **fields}, headers=owner[1])
    changed = await client.patch(f"{PERSONAS}/{persona['id']}", json=fields, headers=owner[1])

    assert_error(made, 422, "validation_error")
    assert_error(changed, 422, "validation_error")


async def test_another_users_persona_is_not_found(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> None:
    persona = await _persona(client, owner[1])
    url = f"{PERSONAS}/{persona['id']}"

    for method, body in [("GET", None), ("PATCH", {"name": "Mine"}), ("DELETE", None)]:
        assert_error(
            await client.request(method, url, json=body, headers=other[1]), 404, "not_found"
        )
    assert (await client.get(PERSONAS, headers=other[1])).json() == []
