"""/api/v2/api-keys: created and shown once, listed without the key, used as a bearer, revoked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cognitia.runtime import Runtime
from tests.support.factories import bearer, create_api_key, create_user, login, user_with_token

pytestmark = pytest.mark.asyncio

KEYS = "/api/v2/api-keys"


async def _create_key(
    client: httpx.AsyncClient, headers: dict[str, str], name: str = "laptop"
) -> dict[str, Any]:
    return await create_api_key(client, headers, name=name)


async def test_create_shows_the_key_once(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client)

    created = await _create_key(client, headers, name="  CI runner  ")

    assert created["key"].startswith("cgk_")
    assert len(created["key"]) > 40
    assert created["prefix"] == created["key"][:12]
    assert created["name"] == "CI runner"
    assert created["revoked_at"] is None
    assert created["last_used_at"] is None
    listed = await client.get(KEYS, headers=headers)
    assert listed.status_code == 200
    assert [k["id"] for k in listed.json()] == [created["id"]]
    assert "key" not in listed.json()[0]
    assert created["key"] not in listed.text


async def test_every_key_is_different(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client)

    keys = [await _create_key(client, headers, name=f"k{i}") for i in range(3)]

    assert len({k["key"] for k in keys}) == 3
    listed = (await client.get(KEYS, headers=headers)).json()
    assert {k["id"] for k in listed} == {k["id"] for k in keys}


@pytest.mark.parametrize("path", ["/api/v2/auth/me", "/api/v2/users/me"])
async def test_a_key_is_a_bearer_credential(
    client: httpx.AsyncClient, runtime: Runtime, path: str
) -> None:
    user, headers = await user_with_token(runtime, client)
    key = await _create_key(client, headers)

    response = await client.get(path, headers=bearer(key["key"]))

    assert response.status_code == 200
    assert response.json()["id"] == user.id


async def test_using_a_key_records_when(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client)
    key = await _create_key(client, headers)

    assert (await client.get("/api/v2/auth/me", headers=bearer(key["key"]))).status_code == 200

    listed = (await client.get(KEYS, headers=headers)).json()
    assert listed[0]["last_used_at"] is not None


async def test_a_full_key_can_list_and_revoke_keys(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await user_with_token(runtime, client)
    key = await _create_key(client, headers)
    other = await _create_key(client, headers, name="other")

    listed = await client.get(KEYS, headers=bearer(key["key"]))
    revoked = await client.delete(f"{KEYS}/{other['id']}", headers=bearer(key["key"]))

    assert len(listed.json()) == 2
    assert revoked.status_code == 200


async def test_keys_are_listed_per_user(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, alice = await user_with_token(runtime, client)
    _, bob = await user_with_token(runtime, client)
    await _create_key(client, alice)

    response = await client.get(KEYS, headers=bob)

    assert response.status_code == 200
    assert response.json() == []


async def test_revoked_key_is_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client)
    key = await _create_key(client, headers)
    keep = await _create_key(client, headers, name="kept")

    revoked = await client.delete(f"{KEYS}/{key['id']}", headers=headers)

    assert revoked.status_code == 200
    assert revoked.json()["id"] == key["id"]
    assert revoked.json()["revoked_at"] is not None
    assert "key" not in revoked.json()
    refused = await client.get("/api/v2/auth/me", headers=bearer(key["key"]))
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_token"
    assert (await client.get("/api/v2/auth/me", headers=bearer(keep["key"]))).status_code == 200
    listed = {k["id"]: k for k in (await client.get(KEYS, headers=headers)).json()}
    assert listed[key["id"]]["revoked_at"] is not None
    assert listed[keep["id"]]["revoked_at"] is None


async def test_revoking_twice_keeps_the_first_time(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await user_with_token(runtime, client)
    key = await _create_key(client, headers)
    first = await client.delete(f"{KEYS}/{key['id']}", headers=headers)

    second = await client.delete(f"{KEYS}/{key['id']}", headers=headers)

    assert second.status_code == 200
    assert second.json()["revoked_at"] == first.json()["revoked_at"]


async def test_another_users_key_is_not_found(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, alice = await user_with_token(runtime, client)
    _, bob = await user_with_token(runtime, client)
    key = await _create_key(client, alice)

    response = await client.delete(f"{KEYS}/{key['id']}", headers=bob)

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert (await client.get("/api/v2/auth/me", headers=bearer(key["key"]))).status_code == 200


@pytest.mark.parametrize("key_id", ["00000000-0000-0000-0000-000000000000", "nope", "x" * 300])
async def test_unknown_key_id_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime, key_id: str
) -> None:
    _, headers = await user_with_token(runtime, client)

    response = await client.delete(f"{KEYS}/{key_id}", headers=headers)

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_key_of_a_disabled_user_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await user_with_token(runtime, client)
    key = await _create_key(client, headers)
    _, admin = await user_with_token(runtime, client, admin=True)
    disabled = await client.post(f"/api/v2/admin/users/{user.id}/disable", headers=admin)
    assert disabled.status_code == 200

    response = await client.get("/api/v2/auth/me", headers=bearer(key["key"]))

    assert response.status_code == 403
    assert response.json()["error"] == "account_disabled"
    assert (await client.post(f"/api/v2/admin/users/{user.id}/enable", headers=admin)).is_success
    assert (await client.get("/api/v2/auth/me", headers=bearer(key["key"]))).status_code == 200


async def test_a_key_id_with_a_nul_is_invalid(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client)

    response = await client.delete(f"{KEYS}/abc%00def", headers=headers)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


@pytest.mark.parametrize("fake", ["cgk_", "cgk_not-a-real-key", "cgk_" + "A" * 43])
async def test_made_up_keys_are_refused(client: httpx.AsyncClient, fake: str) -> None:
    response = await client.get("/api/v2/auth/me", headers=bearer(fake))

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


async def test_a_key_with_a_changed_character_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await user_with_token(runtime, client)
    raw = (await _create_key(client, headers))["key"]
    changed = raw[:-1] + ("a" if raw[-1] != "a" else "b")

    response = await client.get("/api/v2/auth/me", headers=bearer(changed))

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


async def test_logout_with_a_key_ends_no_login(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await create_user(runtime)
    pair = await login(client, user.email)
    key = await _create_key(client, bearer(pair["access_token"]))

    response = await client.post("/api/v2/auth/logout", headers=bearer(key["key"]))

    assert response.status_code == 204
    assert (await client.get("/api/v2/auth/me", headers=bearer(key["key"]))).status_code == 200
    me = await client.get("/api/v2/auth/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "n" * 101},
        {"name": 3},
        {"name": "a", "x": 1},
        {"name": "nul\x00"},
    ],
)
async def test_create_body_is_validated(
    client: httpx.AsyncClient, runtime: Runtime, body: object
) -> None:
    _, headers = await user_with_token(runtime, client)

    response = await client.post(KEYS, json=body, headers=headers)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert (await client.get(KEYS, headers=headers)).json() == []


@pytest.mark.parametrize(
    ("method", "path"), [("POST", KEYS), ("GET", KEYS), ("DELETE", f"{KEYS}/some-id")]
)
async def test_keys_need_authentication(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path, json={"name": "x"} if method == "POST" else None)

    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
