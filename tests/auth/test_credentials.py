"""The credential model (docs/security.md): account actions need a session and the password,
a password change or reset revokes every other credential, API keys have scopes and expiry."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from cognitia.config import Settings
from cognitia.kit.clock import utcnow
from cognitia.models.api_key import ApiKey
from cognitia.runtime import Runtime
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.factories import (
    PASSWORD,
    bearer,
    create_api_key,
    login,
    mail_jobs_to,
    mailed_token,
    user_with_token,
)

pytestmark = pytest.mark.asyncio

KEYS = "/api/v2/api-keys"
ME = "/api/v2/users/me"
NEW_PASSWORD = "Changed98765"


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == code


async def _works(client: httpx.AsyncClient, key: dict[str, Any]) -> bool:
    response = await client.get("/api/v2/auth/me", headers=bearer(key["key"]))
    return response.status_code == 200


# ---- Account actions need a signed-in session and the current password ---------------


async def test_an_api_key_cannot_mint_keys(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client)
    key = await create_api_key(client, headers)

    response = await client.post(
        KEYS, json={"name": "minted", "current_password": PASSWORD}, headers=bearer(key["key"])
    )

    _assert_error(response, 403, "session_required")
    assert len((await client.get(KEYS, headers=headers)).json()) == 1


async def test_an_api_key_cannot_delete_the_account(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await user_with_token(runtime, client)
    key = await create_api_key(client, headers)

    response = await client.request(
        "DELETE", ME, json={"current_password": PASSWORD}, headers=bearer(key["key"])
    )

    _assert_error(response, 403, "session_required")
    assert (await client.get(ME, headers=headers)).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        {"current_password": PASSWORD, "email": "taken-over@example.com"},
    ],
)
async def test_an_api_key_cannot_change_credentials(
    client: httpx.AsyncClient, runtime: Runtime, change: dict[str, str]
) -> None:
    user, headers = await user_with_token(runtime, client)
    key = await create_api_key(client, headers)

    response = await client.patch(ME, json=change, headers=bearer(key["key"]))

    _assert_error(response, 403, "session_required")
    assert await mail_jobs_to(runtime, "taken-over@example.com") == 0
    assert (await login(client, user.email))["access_token"]


async def test_an_api_key_may_still_change_the_name(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await user_with_token(runtime, client)
    key = await create_api_key(client, headers)

    response = await client.patch(ME, json={"first_name": "Scripted"}, headers=bearer(key["key"]))

    assert response.status_code == 200
    assert response.json()["first_name"] == "Scripted"


@pytest.mark.parametrize(
    ("password", "status", "code"),
    [(None, 422, "validation_error"), ("WrongPass123", 401, "invalid_credentials")],
)
async def test_creating_a_key_needs_the_current_password(
    client: httpx.AsyncClient, runtime: Runtime, password: str | None, status: int, code: str
) -> None:
    _, headers = await user_with_token(runtime, client)
    body = {"name": "k"} | ({"current_password": password} if password else {})

    response = await client.post(KEYS, json=body, headers=headers)

    _assert_error(response, status, code)
    assert (await client.get(KEYS, headers=headers)).json() == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (None, 422, "validation_error"),
        ({}, 422, "validation_error"),
        ({"current_password": "WrongPass123"}, 401, "invalid_credentials"),
    ],
)
async def test_deleting_the_account_needs_the_current_password(
    client: httpx.AsyncClient,
    runtime: Runtime,
    body: dict[str, str] | None,
    status: int,
    code: str,
) -> None:
    _, headers = await user_with_token(runtime, client)

    response = await client.request("DELETE", ME, json=body, headers=headers)

    _assert_error(response, status, code)
    assert (await client.get(ME, headers=headers)).status_code == 200


async def test_deleting_the_account_with_the_password(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await user_with_token(runtime, client)

    response = await client.request(
        "DELETE", ME, json={"current_password": PASSWORD}, headers=headers
    )

    assert response.status_code == 204
    refused = await client.post(
        "/api/v2/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert refused.status_code == 401


async def test_wrong_current_passwords_count_as_failed_logins(
    settings: Settings, tmp_path: Path
) -> None:
    assert settings.database_url is not None
    limited = make_settings(settings.database_url, tmp_path, auth={"login_attempts_per_account": 3})
    async with running_app(limited) as (app, client):
        _, headers = await user_with_token(app.state.runtime, client)
        wrong = {"name": "k", "current_password": "WrongPass123"}
        statuses = [
            (await client.post(KEYS, json=wrong, headers=headers)).status_code for _ in range(3)
        ]
        right = {"name": "k", "current_password": PASSWORD}
        blocked = await client.post(KEYS, json=right, headers=headers)

    assert statuses == [401, 401, 401]
    _assert_error(blocked, 429, "rate_limited")


# ---- A password change or reset revokes every other credential --------------------------


async def test_a_password_change_revokes_keys_and_other_sessions(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await user_with_token(runtime, client)
    other = bearer((await login(client, user.email))["access_token"])
    keys = [await create_api_key(client, headers, name=n) for n in ("a", "b")]

    response = await client.patch(
        ME, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=headers
    )

    assert response.status_code == 200
    assert response.json()["credentials_revoked"] is True
    assert [await _works(client, key) for key in keys] == [False, False]
    _assert_error(await client.get(ME, headers=other), 401, "invalid_token")
    assert (await client.get(ME, headers=headers)).status_code == 200
    listed = (await client.get(KEYS, headers=headers)).json()
    assert all(k["revoked_at"] is not None for k in listed)
    assert await mail_jobs_to(runtime, user.email) == 1  # "your password was changed"


async def test_other_profile_changes_revoke_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await user_with_token(runtime, client)
    key = await create_api_key(client, headers)

    response = await client.patch(ME, json={"first_name": "Renamed"}, headers=headers)

    assert response.json()["credentials_revoked"] is False
    assert await _works(client, key)


async def test_a_password_reset_revokes_every_key(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await user_with_token(runtime, client)
    key = await create_api_key(client, headers)
    asked = await client.post("/api/v2/auth/request-password-reset", json={"email": user.email})
    assert asked.status_code == 202
    token = await mailed_token(runtime, user.email)

    reset = await client.post(
        "/api/v2/auth/reset-password", json={"token": token, "new_password": NEW_PASSWORD}
    )

    assert reset.status_code == 204
    assert not await _works(client, key)
    _assert_error(await client.get(ME, headers=headers), 401, "invalid_token")


# ---- Scopes ---------------------------------------------------------------------------


async def test_a_key_is_full_unless_asked(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client)

    key = await create_api_key(client, headers)

    assert key["scope"] == "full"
    assert key["expires_at"] is None
    characters = await client.get("/api/v2/characters", headers=bearer(key["key"]))
    assert characters.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v2/auth/me"),
        ("GET", "/api/v2/users/me"),
        ("PATCH", "/api/v2/users/me"),
        ("GET", "/api/v2/api-keys"),
        ("GET", "/api/v2/characters"),
        ("GET", "/api/v2/personas"),
        ("GET", "/api/v2/documents"),
        ("GET", "/api/v2/usage"),
    ],
)
async def test_a_chat_key_is_refused_outside_chats(
    client: httpx.AsyncClient, runtime: Runtime, method: str, path: str
) -> None:
    _, headers = await user_with_token(runtime, client)
    key = await create_api_key(client, headers, scope="chat")

    response = await client.request(method, path, json={}, headers=bearer(key["key"]))

    _assert_error(response, 403, "insufficient_scope")


async def test_a_chat_key_reads_and_writes_chats_and_v1(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await user_with_token(runtime, client)
    character = await client.post("/api/v2/characters", json={"name": "Aria"}, headers=headers)
    assert character.status_code == 201, character.text
    key = bearer((await create_api_key(client, headers, scope="chat"))["key"])

    created = await client.post(
        "/api/v2/chats", json={"character_ids": [character.json()["id"]]}, headers=key
    )
    listed = await client.get("/api/v2/chats", headers=key)
    messages = await client.get(f"/api/v2/chats/{created.json()['id']}/messages", headers=key)
    models = await client.get("/v1/models", headers=key)

    assert created.status_code == 201, created.text
    assert [c["id"] for c in listed.json()["items"]] == [created.json()["id"]]
    assert messages.status_code == 200
    assert models.status_code == 200


async def test_an_unknown_scope_is_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client)

    response = await client.post(
        KEYS, json={"name": "k", "current_password": PASSWORD, "scope": "admin"}, headers=headers
    )

    _assert_error(response, 422, "validation_error")


# ---- Expiry ---------------------------------------------------------------------------


async def _expire(runtime: Runtime, key_id: str) -> None:
    async with runtime.db.unit_of_work() as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )


async def test_an_expired_key_is_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client)
    key = await create_api_key(client, headers, expires_in_days=30)
    assert await _works(client, key)

    await _expire(runtime, key["id"])

    response = await client.get("/api/v2/auth/me", headers=bearer(key["key"]))
    _assert_error(response, 401, "api_key_expired")
    openai_style = await client.get("/v1/models", headers=bearer(key["key"]))
    assert openai_style.status_code == 401
    assert openai_style.json()["error"]["code"] == "api_key_expired"


async def test_expiry_is_reported(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await user_with_token(runtime, client)
    before = utcnow()

    key = await create_api_key(client, headers, expires_in_days=7)

    listed = (await client.get(KEYS, headers=headers)).json()[0]
    assert listed["expires_at"] == key["expires_at"]
    expires = datetime.fromisoformat(key["expires_at"])
    assert before + timedelta(days=7) <= expires <= utcnow() + timedelta(days=7)


@pytest.mark.parametrize("days", [0, -1, 3651, "soon"])
async def test_expiry_is_validated(
    client: httpx.AsyncClient, runtime: Runtime, days: object
) -> None:
    _, headers = await user_with_token(runtime, client)

    response = await client.post(
        KEYS,
        json={"name": "k", "current_password": PASSWORD, "expires_in_days": days},
        headers=headers,
    )

    _assert_error(response, 422, "validation_error")
