"""Refresh rotation and reuse detection, logout, and the tokens the API refuses."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta

import httpx
import pytest

from cognitia.auth import tokens
from cognitia.auth.tokens import TokenType
from cognitia.config import Settings
from cognitia.runtime import Runtime
from tests.support.apps import running_app
from tests.support.factories import bearer, create_user, login

pytestmark = pytest.mark.asyncio

ME = "/api/v2/auth/me"
REFRESH = "/api/v2/auth/refresh"
LOGOUT = "/api/v2/auth/logout"


async def _refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": refresh_token})


async def _me_status(client: httpx.AsyncClient, access_token: str) -> int:
    return (await client.get(ME, headers=bearer(access_token))).status_code


async def _logged_in(client: httpx.AsyncClient, runtime: Runtime) -> dict[str, str]:
    user = await create_user(runtime)
    return await login(client, user.email)


def _secret(runtime: Runtime) -> str:
    return runtime.settings.jwt_secret.get_secret_value()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _with_payload(token: str, **changes: str) -> str:
    """The token with its payload edited and its signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return ".".join([header, _b64(json.dumps({**claims, **changes}).encode()), signature])


def _with_flipped_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    # The middle of the signature: its last character carries padding bits that may not count.
    i = len(signature) // 2
    flipped = "A" if signature[i] != "A" else "B"
    return ".".join([header, payload, signature[:i] + flipped + signature[i + 1 :]])


def _assert_refused(response: httpx.Response, error: str = "invalid_token") -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == error
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_refresh_rotates_the_pair(client: httpx.AsyncClient, runtime: Runtime) -> None:
    pair = await _logged_in(client, runtime)

    response = await _refresh(client, pair["refresh_token"])

    assert response.status_code == 200
    new = response.json()
    assert new["token_type"] == "bearer"
    assert new["refresh_token"] != pair["refresh_token"]
    assert new["access_token"] != pair["access_token"]
    assert await _me_status(client, new["access_token"]) == 200
    secret = _secret(runtime)
    assert (
        tokens.decode(secret, new["refresh_token"], "refresh").session_id
        == tokens.decode(secret, pair["refresh_token"], "refresh").session_id
    )
    third = await _refresh(client, new["refresh_token"])
    assert third.status_code == 200


async def test_reusing_a_refresh_token_ends_the_whole_session(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    pair = await _logged_in(client, runtime)
    rotated = (await _refresh(client, pair["refresh_token"])).json()

    reused = await _refresh(client, pair["refresh_token"])

    _assert_refused(reused)
    _assert_refused(await _refresh(client, rotated["refresh_token"]))
    _assert_refused(await client.get(ME, headers=bearer(rotated["access_token"])))
    _assert_refused(await client.get(ME, headers=bearer(pair["access_token"])))


async def test_reuse_ends_only_that_session(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await create_user(runtime)
    stolen = await login(client, user.email)
    other_device = await login(client, user.email)
    await _refresh(client, stolen["refresh_token"])

    _assert_refused(await _refresh(client, stolen["refresh_token"]))

    assert await _me_status(client, other_device["access_token"]) == 200
    assert (await _refresh(client, other_device["refresh_token"])).status_code == 200


async def test_a_refresh_token_replayed_in_parallel_is_spent_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    pair = await _logged_in(client, runtime)

    responses = await asyncio.gather(*[_refresh(client, pair["refresh_token"]) for _ in range(5)])

    assert sorted(r.status_code for r in responses) == [200, 401, 401, 401, 401]
    # Spending it twice is reuse: the session has ended, for the winner's tokens too.
    winner = next(r.json() for r in responses if r.status_code == 200)
    _assert_refused(await _refresh(client, winner["refresh_token"]))


async def test_access_token_is_not_a_refresh_token(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    pair = await _logged_in(client, runtime)

    _assert_refused(await _refresh(client, pair["access_token"]))
    assert (await _refresh(client, pair["refresh_token"])).status_code == 200


async def test_refresh_token_is_not_a_bearer_token(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    pair = await _logged_in(client, runtime)

    _assert_refused(await client.get(ME, headers=bearer(pair["refresh_token"])))
    _assert_refused(await client.get("/api/v2/users/me", headers=bearer(pair["refresh_token"])))


@pytest.mark.parametrize("kind", ["access", "refresh"])
async def test_tampered_tokens_are_refused(
    client: httpx.AsyncClient, runtime: Runtime, kind: TokenType
) -> None:
    pair = await _logged_in(client, runtime)
    other = await _logged_in(client, runtime)
    original = pair[f"{kind}_token"]
    someone_else = tokens.decode(_secret(runtime), other[f"{kind}_token"], kind)
    forgeries = [
        _with_flipped_signature(original),
        _with_payload(original, sub=someone_else.user_id, sid=someone_else.session_id),
        _with_payload(original, typ="refresh" if kind == "access" else "access"),
    ]

    for forged in forgeries:
        if kind == "access":
            _assert_refused(await client.get(ME, headers=bearer(forged)))
        else:
            _assert_refused(await _refresh(client, forged))
    # The untouched token still works: the forgeries failed for what was changed.
    if kind == "access":
        assert await _me_status(client, original) == 200
    else:
        assert (await _refresh(client, original)).status_code == 200


async def test_token_signed_with_another_secret_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    pair = await _logged_in(client, runtime)
    claims = tokens.decode(_secret(runtime), pair["access_token"], "access")

    forged = tokens.issue("another-secret-that-is-long-enough-too", claims, timedelta(minutes=5))

    _assert_refused(await client.get(ME, headers=bearer(forged)))


@pytest.mark.parametrize("kind", ["access", "refresh"])
async def test_expired_tokens_are_token_expired(
    client: httpx.AsyncClient, runtime: Runtime, kind: TokenType
) -> None:
    pair = await _logged_in(client, runtime)
    claims = tokens.decode(_secret(runtime), pair[f"{kind}_token"], kind)

    expired = tokens.issue(_secret(runtime), claims, timedelta(minutes=-1))

    if kind == "access":
        response = await client.get(ME, headers=bearer(expired))
    else:
        response = await _refresh(client, expired)
    _assert_refused(response, "token_expired")


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "a.b.c",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",  # alg "none", unsigned
        "x" * 4000,
        "....",
    ],
)
async def test_garbage_tokens_are_refused(client: httpx.AsyncClient, token: str) -> None:
    _assert_refused(await client.get(ME, headers=bearer(token)))
    _assert_refused(await _refresh(client, token))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Token abc"},
    ],
)
async def test_missing_credentials_are_not_authenticated(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for method, path in [("GET", ME), ("POST", LOGOUT), ("GET", "/api/v2/users/me")]:
        response = await client.request(method, path, headers=headers)

        assert response.status_code == 401, (method, path)
        assert response.json()["error"] == "not_authenticated"
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_refresh_body_is_validated(client: httpx.AsyncClient) -> None:
    for body in [{}, {"refresh_token": ""}, {"refresh_token": 1}, {"token": "x"}]:
        response = await client.post(REFRESH, json=body)

        assert response.status_code == 422, body
        assert response.json()["error"] == "validation_error"


async def test_logout_ends_the_session_at_once(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await create_user(runtime)
    pair = await login(client, user.email)
    other = await login(client, user.email)

    response = await client.post(LOGOUT, headers=bearer(pair["access_token"]))

    assert response.status_code == 204
    assert response.content == b""
    _assert_refused(await client.get(ME, headers=bearer(pair["access_token"])))
    _assert_refused(await _refresh(client, pair["refresh_token"]))
    _assert_refused(await client.post(LOGOUT, headers=bearer(pair["access_token"])))
    assert await _me_status(client, other["access_token"]) == 200


async def test_logout_in_one_process_is_seen_by_another(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    pair = await _logged_in(client, runtime)
    async with running_app(settings) as (_, client_b):
        assert await _me_status(client_b, pair["access_token"]) == 200

        assert (await client.post(LOGOUT, headers=bearer(pair["access_token"]))).status_code == 204

        _assert_refused(await client_b.get(ME, headers=bearer(pair["access_token"])))
        _assert_refused(await _refresh(client_b, pair["refresh_token"]))


async def test_refresh_in_another_process_rotates_for_both(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    pair = await _logged_in(client, runtime)
    async with running_app(settings) as (_, client_b):
        assert (await _refresh(client_b, pair["refresh_token"])).status_code == 200

        _assert_refused(await _refresh(client, pair["refresh_token"]))
