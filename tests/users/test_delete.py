"""DELETE /api/v2/users/me: the account and everything it owns are gone."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from cognitia.models.api_key import ApiKey
from cognitia.models.auth_session import AuthSession
from cognitia.models.email_token import EmailToken
from cognitia.models.refresh_token import RefreshToken
from cognitia.models.user import User
from cognitia.runtime import Runtime
from tests.support.factories import (
    PASSWORD,
    bearer,
    create_api_key,
    create_user,
    delete_account,
    login,
    mailed_token,
)

pytestmark = pytest.mark.asyncio

ME = "/api/v2/users/me"


async def _rows(runtime: Runtime, column: InstrumentedAttribute[str], value: str) -> int:
    async with runtime.db.unit_of_work() as session:
        query = select(func.count()).select_from(column.class_).where(column == value)
        return int(await session.scalar(query) or 0)


async def _refresh_tokens_of(runtime: Runtime, user_id: str) -> int:
    async with runtime.db.unit_of_work() as session:
        query = (
            select(func.count())
            .select_from(RefreshToken)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .where(AuthSession.user_id == user_id)
        )
        return int(await session.scalar(query) or 0)


async def _owned(runtime: Runtime, user_id: str) -> dict[str, int]:
    return {
        "user": await _rows(runtime, User.id, user_id),
        "api_key": await _rows(runtime, ApiKey.user_id, user_id),
        "auth_session": await _rows(runtime, AuthSession.user_id, user_id),
        "refresh_token": await _refresh_tokens_of(runtime, user_id),
        "email_token": await _rows(runtime, EmailToken.user_id, user_id),
    }


async def _account_with_everything(
    client: httpx.AsyncClient, runtime: Runtime
) -> tuple[User, dict[str, str], str]:
    """A user with two logins, a rotated refresh token, an API key and an open reset link."""
    user = await create_user(runtime)
    pair = await login(client, user.email)
    await login(client, user.email)
    rotated = await client.post(
        "/api/v2/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    headers = bearer(rotated.json()["access_token"])
    key = await create_api_key(client, headers)
    reset = await client.post("/api/v2/auth/request-password-reset", json={"email": user.email})
    assert reset.status_code == 202
    await mailed_token(runtime, user.email)
    return user, headers, key["key"]


async def test_delete_removes_the_account_and_what_it_owns(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers, _ = await _account_with_everything(client, runtime)
    bystander, _, _ = await _account_with_everything(client, runtime)
    assert await _owned(runtime, user.id) == {
        "user": 1,
        "api_key": 1,
        "auth_session": 2,
        "refresh_token": 3,
        "email_token": 1,
    }
    before = await _owned(runtime, bystander.id)

    response = await delete_account(client, headers)

    assert response.status_code == 204
    assert response.content == b""
    assert set((await _owned(runtime, user.id)).values()) == {0}
    assert await _owned(runtime, bystander.id) == before


async def test_credentials_of_a_deleted_account_are_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers, key = await _account_with_everything(client, runtime)
    pair = await login(client, user.email)
    assert (await delete_account(client, headers)).status_code == 204

    for credentials in (headers, bearer(pair["access_token"]), bearer(key)):
        for method, path in [("GET", ME), ("GET", "/api/v2/auth/me"), ("DELETE", ME)]:
            response = await client.request(method, path, headers=credentials)
            assert response.status_code == 401, (method, path)
            assert response.json()["error"] == "invalid_token"
    refreshed = await client.post(
        "/api/v2/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 401
    assert refreshed.json()["error"] == "invalid_token"
    logged_in = await client.post(
        "/api/v2/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert logged_in.status_code == 401
    assert logged_in.json()["error"] == "invalid_credentials"


async def test_the_address_can_sign_up_again(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user, headers, _ = await _account_with_everything(client, runtime)
    assert (await delete_account(client, headers)).status_code == 204

    response = await client.post(
        "/api/v2/auth/register", json={"email": user.email, "password": PASSWORD}
    )

    assert response.status_code == 201
    assert response.json()["id"] != user.id


async def test_an_api_key_cannot_delete(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user, _, key = await _account_with_everything(client, runtime)

    response = await client.request(
        "DELETE", ME, json={"current_password": PASSWORD}, headers=bearer(key)
    )

    assert response.status_code == 403
    assert response.json()["error"] == "session_required"
    assert await _rows(runtime, User.id, user.id) == 1
