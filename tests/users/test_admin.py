"""/api/v2/admin/users: listing, disabling and enabling accounts; only for administrators."""

from __future__ import annotations

import httpx
import pytest

from cognitia.runtime import Runtime
from tests.support.factories import (
    PASSWORD,
    bearer,
    create_api_key,
    create_user,
    login,
    user_with_token,
)

pytestmark = pytest.mark.asyncio

USERS = "/api/v2/admin/users"
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"


async def _login(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD})


async def test_admin_lists_every_user(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin, headers = await user_with_token(runtime, client, admin=True)
    others = [await create_user(runtime) for _ in range(3)]

    response = await client.get(USERS, headers=headers)

    assert response.status_code == 200
    page = response.json()
    assert page["total"] == 4
    assert (page["limit"], page["offset"]) == (50, 0)
    assert [u["id"] for u in page["items"]] == [admin.id, *(u.id for u in others)]
    assert page["items"][0]["role"] == "admin"
    assert all("password_hash" not in u for u in page["items"])


async def test_pages_follow_limit_and_offset(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin, headers = await user_with_token(runtime, client, admin=True)
    everyone = [admin.id, *[(await create_user(runtime)).id for _ in range(4)]]

    pages = [
        (await client.get(USERS, params={"limit": 2, "offset": offset}, headers=headers)).json()
        for offset in (0, 2, 4, 6)
    ]

    assert [[u["id"] for u in p["items"]] for p in pages] == [
        everyone[0:2],
        everyone[2:4],
        everyone[4:5],
        [],
    ]
    assert {p["total"] for p in pages} == {5}
    assert [p["offset"] for p in pages] == [0, 2, 4, 6]


async def test_q_filters_by_e_mail(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client, admin=True)
    alice = await create_user(runtime, email="alice@wonderland.example")
    await create_user(runtime, email="bob@builder.example")
    await create_user(runtime, email="carol@builder.example")

    by_name = (await client.get(USERS, params={"q": "ALICE"}, headers=headers)).json()
    by_domain = (await client.get(USERS, params={"q": "builder"}, headers=headers)).json()
    nothing = (await client.get(USERS, params={"q": "nobody"}, headers=headers)).json()

    assert [u["id"] for u in by_name["items"]] == [alice.id]
    assert by_name["total"] == 1
    assert by_domain["total"] == 2
    assert {u["email"] for u in by_domain["items"]} == {
        "bob@builder.example",
        "carol@builder.example",
    }
    assert (nothing["total"], nothing["items"]) == (0, [])


@pytest.mark.parametrize("pattern", ["%", "_", "\\", "%builder%"])
async def test_q_wildcards_are_matched_literally(
    client: httpx.AsyncClient, runtime: Runtime, pattern: str
) -> None:
    _, headers = await user_with_token(runtime, client, admin=True)
    await create_user(runtime, email="bob@builder.example")

    response = await client.get(USERS, params={"q": pattern}, headers=headers)

    assert response.status_code == 200
    assert response.json()["total"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": -1},
        {"offset": -1},
        {"limit": "ten"},
        {"offset": "1.5"},
        {"q": "x" * 255},
        {"q": "a\x00"},
        {"offset": 2**31},
        {"offset": 10**30},
    ],
)
async def test_list_parameters_are_validated(
    client: httpx.AsyncClient, runtime: Runtime, params: dict[str, str | int]
) -> None:
    _, headers = await user_with_token(runtime, client, admin=True)

    response = await client.get(USERS, params=params, headers=headers)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", USERS), ("POST", f"{USERS}/{{id}}/disable"), ("POST", f"{USERS}/{{id}}/enable")],
)
async def test_non_admins_are_refused(
    client: httpx.AsyncClient, runtime: Runtime, method: str, path: str
) -> None:
    user, headers = await user_with_token(runtime, client)

    response = await client.request(method, path.format(id=user.id), headers=headers)
    anonymous = await client.request(method, path.format(id=user.id))

    assert response.status_code == 403
    assert response.json()["error"] == "admin_required"
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "not_authenticated"
    assert (await client.get("/api/v2/auth/me", headers=headers)).json()["is_active"] is True


async def test_disabling_locks_the_user_out(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, admin = await user_with_token(runtime, client, admin=True)
    user = await create_user(runtime)
    pair = await login(client, user.email)

    response = await client.post(f"{USERS}/{user.id}/disable", headers=admin)

    assert response.status_code == 200
    assert response.json()["id"] == user.id
    assert response.json()["is_active"] is False
    me = await client.get("/api/v2/auth/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 403
    assert me.json()["error"] == "account_disabled"
    refreshed = await client.post(
        "/api/v2/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 403
    assert refreshed.json()["error"] == "account_disabled"
    refused = await _login(client, user.email)
    assert refused.status_code == 403
    assert refused.json()["error"] == "account_disabled"


async def test_enabling_lets_the_user_back_in(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, admin = await user_with_token(runtime, client, admin=True)
    user = await create_user(runtime)
    before = await login(client, user.email)
    assert (await client.post(f"{USERS}/{user.id}/disable", headers=admin)).status_code == 200

    response = await client.post(f"{USERS}/{user.id}/enable", headers=admin)

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    after = await _login(client, user.email)
    assert after.status_code == 200
    me = await client.get("/api/v2/auth/me", headers=bearer(after.json()["access_token"]))
    assert me.status_code == 200
    # Disabling ended the sessions that were open; enabling does not bring them back.
    stale = await client.get("/api/v2/auth/me", headers=bearer(before["access_token"]))
    assert stale.status_code == 401
    assert stale.json()["error"] == "invalid_token"


async def test_disable_and_enable_are_idempotent(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await user_with_token(runtime, client, admin=True)
    user = await create_user(runtime)

    for action, active in [("enable", True), ("disable", False), ("disable", False)]:
        response = await client.post(f"{USERS}/{user.id}/{action}", headers=admin)
        assert response.status_code == 200
        assert response.json()["is_active"] is active


async def test_disabled_admin_loses_admin_access(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, first = await user_with_token(runtime, client, admin=True)
    second_user, second = await user_with_token(runtime, client, admin=True)
    assert (await client.post(f"{USERS}/{second_user.id}/disable", headers=first)).is_success

    response = await client.get(USERS, headers=second)

    assert response.status_code == 403
    assert response.json()["error"] == "account_disabled"


@pytest.mark.parametrize("action", ["disable", "enable"])
@pytest.mark.parametrize("user_id", [UNKNOWN_ID, "not-a-uuid", "x" * 300])
async def test_unknown_user_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime, action: str, user_id: str
) -> None:
    _, admin = await user_with_token(runtime, client, admin=True)

    response = await client.post(f"{USERS}/{user_id}/{action}", headers=admin)

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_an_api_key_of_an_admin_is_an_admin(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await user_with_token(runtime, client, admin=True)
    key = await create_api_key(client, headers, name="ops")

    response = await client.get(USERS, headers=bearer(key["key"]))

    assert response.status_code == 200
    assert response.json()["total"] == 1
