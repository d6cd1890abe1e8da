"""/api/v2/users/me: reading and changing one's own profile, password and e-mail."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cognitia.runtime import Runtime
from tests.support.factories import (
    PASSWORD,
    bearer,
    create_api_key,
    create_user,
    login,
    mail_jobs_to,
    mailed_token,
    user_with_token,
)

pytestmark = pytest.mark.asyncio

ME = "/api/v2/users/me"
NEW_PASSWORD = "Changed98765"


async def _patch(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await client.patch(ME, json=body, headers=headers)


async def _login_status(client: httpx.AsyncClient, email: str, password: str) -> int:
    response = await client.post("/api/v2/auth/login", json={"email": email, "password": password})
    return response.status_code


async def test_me_is_the_caller(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user, headers = await user_with_token(runtime, client)

    response = await client.get(ME, headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert body == (await client.get("/api/v2/auth/me", headers=headers)).json()
    assert (body["id"], body["email"], body["first_name"]) == (user.id, user.email, "Test")
    assert (body["role"], body["is_active"], body["is_verified"]) == ("user", True, True)
    assert "password_hash" not in body


async def test_patch_names(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client)

    response = await _patch(client, headers, first_name="  Ada ", last_name="Lovelace")

    assert response.status_code == 200
    assert (response.json()["first_name"], response.json()["last_name"]) == ("Ada", "Lovelace")
    assert response.json()["pending_email"] is None
    stored = (await client.get(ME, headers=headers)).json()
    assert (stored["first_name"], stored["last_name"]) == ("Ada", "Lovelace")


async def test_patch_changes_only_what_is_given(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await user_with_token(runtime, client)
    await _patch(client, headers, first_name="Ada", last_name="Lovelace")

    response = await _patch(client, headers, last_name="")

    assert (response.json()["first_name"], response.json()["last_name"]) == ("Ada", "")
    unchanged = await _patch(client, headers)
    assert unchanged.status_code == 200
    assert unchanged.json()["first_name"] == "Ada"


@pytest.mark.parametrize(
    "body",
    [
        {"first_name": "x" * 101},
        {"last_name": "x" * 101},
        {"first_name": 5},
        {"first_name": "A\x00"},
        {"last_name": "\x1b[31mred"},
        {"role": "admin"},
        {"is_active": False},
        {"email": "not-an-email"},
        {"new_password": NEW_PASSWORD},  # without current_password
        {"current_password": "", "new_password": NEW_PASSWORD},
    ],
)
async def test_patch_body_is_validated(
    client: httpx.AsyncClient, runtime: Runtime, body: dict[str, Any]
) -> None:
    _, headers = await user_with_token(runtime, client)

    response = await client.patch(ME, json=body, headers=headers)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    me = (await client.get(ME, headers=headers)).json()
    assert (me["role"], me["is_active"], me["first_name"]) == ("user", True, "Test")


async def test_password_change_needs_the_right_current_password(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await user_with_token(runtime, client)

    response = await _patch(
        client, headers, current_password="WrongPass123", new_password=NEW_PASSWORD
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"
    assert await _login_status(client, user.email, PASSWORD) == 200
    assert await _login_status(client, user.email, NEW_PASSWORD) == 401
    # A wrong current password is the caller's mistake, not a reason to end the session.
    assert (await client.get(ME, headers=headers)).status_code == 200


async def test_a_refused_change_changes_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await user_with_token(runtime, client)

    response = await _patch(
        client,
        headers,
        first_name="Mallory",
        current_password="WrongPass123",
        new_password=NEW_PASSWORD,
    )

    assert response.status_code == 401
    assert (await client.get(ME, headers=headers)).json()["first_name"] == "Test"


async def test_password_change_ends_other_sessions_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await create_user(runtime)
    current = await login(client, user.email)
    other = await login(client, user.email)

    response = await _patch(
        client,
        bearer(current["access_token"]),
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
    )

    assert response.status_code == 200
    assert await _login_status(client, user.email, PASSWORD) == 401
    assert await _login_status(client, user.email, NEW_PASSWORD) == 200
    ended = await client.get(ME, headers=bearer(other["access_token"]))
    assert ended.status_code == 401
    assert ended.json()["error"] == "invalid_token"
    other_refresh = await client.post(
        "/api/v2/auth/refresh", json={"refresh_token": other["refresh_token"]}
    )
    assert other_refresh.status_code == 401
    assert (await client.get(ME, headers=bearer(current["access_token"]))).status_code == 200
    kept_refresh = await client.post(
        "/api/v2/auth/refresh", json={"refresh_token": current["refresh_token"]}
    )
    assert kept_refresh.status_code == 200


async def test_password_change_through_an_api_key_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await create_user(runtime)
    pair = await login(client, user.email)
    created = await create_api_key(client, bearer(pair["access_token"]), name="script")
    key = bearer(created["key"])

    response = await _patch(client, key, current_password=PASSWORD, new_password=NEW_PASSWORD)

    assert response.status_code == 403
    assert response.json()["error"] == "session_required"
    assert (await client.get(ME, headers=bearer(pair["access_token"]))).status_code == 200
    assert await _login_status(client, user.email, PASSWORD) == 200


@pytest.mark.parametrize("weak", ["short1", "nodigitshere", "user@example.com"])
async def test_weak_new_password_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, weak: str
) -> None:
    user = await create_user(runtime, email="user@example.com")
    headers = bearer((await login(client, user.email))["access_token"])

    response = await _patch(client, headers, current_password=PASSWORD, new_password=weak)

    assert response.status_code == 422
    assert response.json()["error"] == "weak_password"
    assert await _login_status(client, user.email, PASSWORD) == 200


async def test_email_change_waits_for_the_new_address_to_be_confirmed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await user_with_token(runtime, client)

    response = await _patch(
        client, headers, email=" New.Address@Example.com", current_password=PASSWORD
    )

    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert response.json()["pending_email"] == "new.address@example.com"
    assert (await client.get(ME, headers=headers)).json()["email"] == user.email
    assert await _login_status(client, user.email, PASSWORD) == 200
    assert await mail_jobs_to(runtime, user.email) == 0
    token = await mailed_token(runtime, "new.address@example.com")

    verified = await client.post("/api/v2/auth/verify-email", json={"token": token})

    assert verified.status_code == 200
    assert verified.json()["email"] == "new.address@example.com"
    assert (await client.get(ME, headers=headers)).json()["email"] == "new.address@example.com"
    assert await _login_status(client, "new.address@example.com", PASSWORD) == 200
    assert await _login_status(client, user.email, PASSWORD) == 401


@pytest.mark.parametrize("password", [None, "WrongPass123"])
async def test_email_change_needs_the_current_password(
    client: httpx.AsyncClient, runtime: Runtime, password: str | None
) -> None:
    user, headers = await user_with_token(runtime, client)
    body: dict[str, Any] = {"email": "elsewhere@example.com"}
    if password is not None:
        body["current_password"] = password

    response = await client.patch(ME, json=body, headers=headers)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"
    assert (await client.get(ME, headers=headers)).json()["email"] == user.email
    assert await mail_jobs_to(runtime, "elsewhere@example.com") == 0


async def test_email_change_to_a_taken_address(client: httpx.AsyncClient, runtime: Runtime) -> None:
    other = await create_user(runtime)
    _, headers = await user_with_token(runtime, client)

    response = await _patch(client, headers, email=other.email.upper(), current_password=PASSWORD)

    assert response.status_code == 409
    assert response.json()["error"] == "email_taken"


async def test_address_taken_before_the_link_is_used(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    alice, alice_headers = await user_with_token(runtime, client)
    _, bob_headers = await user_with_token(runtime, client)
    wanted = {"email": "wanted@example.com", "current_password": PASSWORD}
    assert (await client.patch(ME, json=wanted, headers=alice_headers)).status_code == 200
    alice_token = await mailed_token(runtime, "wanted@example.com")
    assert (await client.patch(ME, json=wanted, headers=bob_headers)).status_code == 200
    bob_token = await mailed_token(runtime, "wanted@example.com", count=2)
    assert (await client.post("/api/v2/auth/verify-email", json={"token": bob_token})).is_success

    late = await client.post("/api/v2/auth/verify-email", json={"token": alice_token})

    assert late.status_code == 409
    assert late.json()["error"] == "email_taken"
    assert (await client.get(ME, headers=alice_headers)).json()["email"] == alice.email


async def test_same_address_in_other_case_is_no_change(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await user_with_token(runtime, client)

    response = await _patch(client, headers, email=user.email.upper())

    assert response.status_code == 200
    assert response.json()["pending_email"] is None
    assert response.json()["email"] == user.email


async def test_me_needs_authentication(client: httpx.AsyncClient) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(method, ME)

        assert response.status_code == 401, method
        assert response.json()["error"] == "not_authenticated"
