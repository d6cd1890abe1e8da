"""Forgotten passwords: request a link (no enumeration), reset with it, sessions end."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from cognitia.runtime import Runtime
from tests.support.factories import (
    PASSWORD,
    bearer,
    create_user,
    expire_email_token,
    login,
    mail_jobs_to,
    mailed_token,
)

pytestmark = pytest.mark.asyncio

REQUEST = "/api/v2/auth/request-password-reset"
RESET = "/api/v2/auth/reset-password"
NEW_PASSWORD = "BrandNew4567"


async def _reset_token(client: httpx.AsyncClient, runtime: Runtime, email: str) -> str:
    response = await client.post(REQUEST, json={"email": email})
    assert response.status_code == 202
    return await mailed_token(runtime, email)


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v2/auth/login", json={"email": email, "password": password})


async def test_request_for_unknown_address_looks_the_same(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await create_user(runtime)

    known = await client.post(REQUEST, json={"email": user.email})
    unknown = await client.post(REQUEST, json={"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert await mailed_token(runtime, user.email)
    assert await mail_jobs_to(runtime, "nobody@example.com") == 0


async def test_request_for_disabled_account_sends_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await create_user(runtime)
    async with runtime.db.unit_of_work() as session:
        (await session.merge(user)).is_active = False

    response = await client.post(REQUEST, json={"email": user.email})

    assert response.status_code == 202
    assert await mail_jobs_to(runtime, user.email) == 0


async def test_reset_sets_the_new_password(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await create_user(runtime)
    asked = await client.post(REQUEST, json={"email": f" {user.email.upper()} "})
    assert asked.status_code == 202
    token = await mailed_token(runtime, user.email)

    response = await client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 204
    old = await _login(client, user.email, PASSWORD)
    assert old.status_code == 401
    assert old.json()["error"] == "invalid_credentials"
    assert (await _login(client, user.email, NEW_PASSWORD)).status_code == 200


async def test_reset_ends_every_session(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await create_user(runtime)
    laptop = await login(client, user.email)
    phone = await login(client, user.email)
    token = await _reset_token(client, runtime, user.email)

    response = await client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 204
    for pair in (laptop, phone):
        me = await client.get("/api/v2/auth/me", headers=bearer(pair["access_token"]))
        assert me.status_code == 401
        assert me.json()["error"] == "invalid_token"
        refreshed = await client.post(
            "/api/v2/auth/refresh", json={"refresh_token": pair["refresh_token"]}
        )
        assert refreshed.status_code == 401
        assert refreshed.json()["error"] == "invalid_token"


async def test_a_reset_token_works_once(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await create_user(runtime)
    token = await _reset_token(client, runtime, user.email)
    first = await client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})
    assert first.status_code == 204

    again = await client.post(RESET, json={"token": token, "new_password": "Another9999"})

    assert again.status_code == 401
    assert again.json()["error"] == "invalid_token"
    assert (await _login(client, user.email, NEW_PASSWORD)).status_code == 200


async def test_a_reset_token_used_in_parallel_works_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await create_user(runtime)
    token = await _reset_token(client, runtime, user.email)
    passwords = [f"Parallel{i}234" for i in range(4)]

    responses = await asyncio.gather(
        *[client.post(RESET, json={"token": token, "new_password": p}) for p in passwords]
    )

    assert sorted(r.status_code for r in responses) == [204, 401, 401, 401]
    (winner,) = [p for p, r in zip(passwords, responses, strict=True) if r.status_code == 204]
    assert (await _login(client, user.email, winner)).status_code == 200


async def test_a_newer_link_replaces_the_older(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await create_user(runtime)
    older = await _reset_token(client, runtime, user.email)
    assert (await client.post(REQUEST, json={"email": user.email})).status_code == 202
    newer = await mailed_token(runtime, user.email, count=2)

    stale = await client.post(RESET, json={"token": older, "new_password": NEW_PASSWORD})

    assert stale.status_code == 401
    assert stale.json()["error"] == "invalid_token"
    ok = await client.post(RESET, json={"token": newer, "new_password": NEW_PASSWORD})
    assert ok.status_code == 204


async def test_expired_reset_link_is_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await create_user(runtime)
    token = await _reset_token(client, runtime, user.email)
    await expire_email_token(runtime, token)

    response = await client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 401
    assert response.json()["error"] == "token_expired"
    assert (await _login(client, user.email, PASSWORD)).status_code == 200


async def test_a_verification_token_does_not_reset(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await create_user(runtime, verified=False)
    verify_token = await mailed_token(runtime, user.email)

    response = await client.post(RESET, json={"token": verify_token, "new_password": NEW_PASSWORD})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


async def test_unknown_reset_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(RESET, json={"token": "made-up", "new_password": NEW_PASSWORD})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("weak", ["short1", "lettersonly", "12345678901"])
async def test_weak_new_password_is_refused_and_the_link_still_works(
    client: httpx.AsyncClient, runtime: Runtime, weak: str
) -> None:
    user = await create_user(runtime)
    token = await _reset_token(client, runtime, user.email)

    response = await client.post(RESET, json={"token": token, "new_password": weak})

    assert response.status_code == 422
    assert response.json()["error"] == "weak_password"
    assert (await _login(client, user.email, PASSWORD)).status_code == 200
    retry = await client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})
    assert retry.status_code == 204


async def test_new_password_equal_to_the_e_mail_is_weak(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await create_user(runtime, email="mirror42@example.com")
    token = await _reset_token(client, runtime, user.email)

    response = await client.post(
        RESET, json={"token": token, "new_password": "mirror42@example.com"}
    )

    assert response.status_code == 422
    assert response.json()["error"] == "weak_password"


async def test_reset_verifies_an_unverified_address(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await create_user(runtime, verified=False)
    assert (await client.post(REQUEST, json={"email": user.email})).status_code == 202
    token = await mailed_token(runtime, user.email, count=2)  # after the sign-up link

    response = await client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 204
    assert (await _login(client, user.email, NEW_PASSWORD)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"token": "abc"},
        {"new_password": NEW_PASSWORD},
        {"token": "", "new_password": NEW_PASSWORD},
        {"token": "abc", "new_password": 12345678},
        {"token": "abc", "new_password": "Ab1" * 43},
        {"token": "abc", "new_password": NEW_PASSWORD, "email": "a@example.com"},
    ],
)
async def test_reset_body_is_validated(client: httpx.AsyncClient, body: object) -> None:
    response = await client.post(RESET, json=body)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


@pytest.mark.parametrize("body", [{}, {"email": "nope"}, {"email": None}, {"mail": "a@b.co"}])
async def test_request_body_is_validated(client: httpx.AsyncClient, body: object) -> None:
    response = await client.post(REQUEST, json=body)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
