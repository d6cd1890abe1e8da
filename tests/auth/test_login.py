"""POST /api/v2/auth/login: the token pair, refusals, and the rate limits."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cognitia.auth import tokens
from cognitia.config import Settings
from cognitia.runtime import Runtime
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.factories import PASSWORD, api_client, bearer, create_user, login

pytestmark = pytest.mark.asyncio

LOGIN = "/api/v2/auth/login"


def _limited_settings(settings: Settings, tmp_path: Path, **auth: int) -> Settings:
    assert settings.database_url is not None
    return make_settings(settings.database_url, tmp_path, auth=auth)


async def _attempt(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await http.post(LOGIN, json={"email": email, "password": password})


def _assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1


async def test_login_returns_a_bearer_token_pair(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await create_user(runtime)

    response = await _attempt(client, user.email, PASSWORD)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == runtime.settings.auth.access_token_minutes * 60
    secret = runtime.settings.jwt_secret.get_secret_value()
    access = tokens.decode(secret, body["access_token"], "access")
    refresh = tokens.decode(secret, body["refresh_token"], "refresh")
    assert access.user_id == refresh.user_id == user.id
    assert access.session_id == refresh.session_id
    me = await client.get("/api/v2/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == user.id


async def test_each_login_is_its_own_session(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await create_user(runtime)
    secret = runtime.settings.jwt_secret.get_secret_value()

    first = await login(client, user.email)
    second = await login(client, user.email)

    assert (
        tokens.decode(secret, first["access_token"], "access").session_id
        != tokens.decode(secret, second["access_token"], "access").session_id
    )


async def test_login_e_mail_is_case_and_space_insensitive(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await create_user(runtime, email="case@example.com")

    response = await _attempt(client, "  CASE@Example.com ", PASSWORD)

    assert response.status_code == 200


async def test_wrong_password_is_invalid_credentials(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await create_user(runtime)

    response = await _attempt(client, user.email, "WrongPass123")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_unknown_e_mail_looks_like_a_wrong_password(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await create_user(runtime)
    wrong_password = await _attempt(client, user.email, "WrongPass123")

    unknown = await _attempt(client, "nobody@example.com", PASSWORD)

    assert unknown.status_code == 401
    assert unknown.json() == wrong_password.json()


async def test_unverified_account_is_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await create_user(runtime, verified=False)

    response = await _attempt(client, user.email, PASSWORD)

    assert response.status_code == 403
    assert response.json()["error"] == "email_not_verified"


async def test_unverified_account_with_wrong_password_reveals_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await create_user(runtime, verified=False)

    response = await _attempt(client, user.email, "WrongPass123")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"


async def test_disabled_account_is_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await create_user(runtime)
    async with runtime.db.unit_of_work() as session:
        stored = await session.merge(user)
        stored.is_active = False

    response = await _attempt(client, user.email, PASSWORD)

    assert response.status_code == 403
    assert response.json()["error"] == "account_disabled"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "a@example.com"},
        {"password": PASSWORD},
        {"email": "a@example.com", "password": ""},
        {"email": "a@example.com", "password": 12345678},
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "a@example.com", "password": PASSWORD, "remember": True},
        {"email": "a@example.com", "password": "x" * 129},
    ],
)
async def test_login_body_is_validated(client: httpx.AsyncClient, body: object) -> None:
    response = await client.post(LOGIN, json=body)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


async def test_login_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        LOGIN, content=b'{"email": ', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"


async def test_failed_logins_are_limited_per_account(settings: Settings, tmp_path: Path) -> None:
    limited = _limited_settings(
        settings, tmp_path, login_attempts_per_account=3, login_attempts_per_ip=100
    )
    async with running_app(limited) as (app, client):
        runtime: Runtime = app.state.runtime
        target = await create_user(runtime)
        bystander = await create_user(runtime)
        for _ in range(3):
            assert (await _attempt(client, target.email, "WrongPass123")).status_code == 401

        blocked = await _attempt(client, target.email, PASSWORD)
        other_case = await _attempt(client, target.email.upper(), PASSWORD)
        other_account = await _attempt(client, bystander.email, PASSWORD)

    _assert_rate_limited(blocked)
    _assert_rate_limited(other_case)
    assert other_account.status_code == 200


async def test_a_successful_login_resets_the_account_counter(
    settings: Settings, tmp_path: Path
) -> None:
    limited = _limited_settings(
        settings, tmp_path, login_attempts_per_account=3, login_attempts_per_ip=100
    )
    async with running_app(limited) as (app, client):
        user = await create_user(app.state.runtime)
        for _ in range(2):
            assert (await _attempt(client, user.email, "WrongPass123")).status_code == 401
        assert (await _attempt(client, user.email, PASSWORD)).status_code == 200

        after_reset = [await _attempt(client, user.email, "WrongPass123") for _ in range(3)]
        fourth = await _attempt(client, user.email, "WrongPass123")

    assert [r.status_code for r in after_reset] == [401, 401, 401]
    _assert_rate_limited(fourth)


async def test_unknown_addresses_are_limited_too(settings: Settings, tmp_path: Path) -> None:
    limited = _limited_settings(
        settings, tmp_path, login_attempts_per_account=2, login_attempts_per_ip=100
    )
    async with running_app(limited) as (_, client):
        statuses = [
            (await _attempt(client, "ghost@example.com", PASSWORD)).status_code for _ in range(2)
        ]
        third = await _attempt(client, "ghost@example.com", PASSWORD)

    assert statuses == [401, 401]
    _assert_rate_limited(third)


async def test_logins_are_limited_per_ip(settings: Settings, tmp_path: Path) -> None:
    limited = _limited_settings(
        settings, tmp_path, login_attempts_per_account=100, login_attempts_per_ip=3
    )
    async with (
        running_app(limited) as (app, _),
        api_client(app, ip="203.0.113.7") as attacker,
        api_client(app, ip="198.51.100.2") as neighbour,
    ):
        runtime: Runtime = app.state.runtime
        users = [await create_user(runtime) for _ in range(4)]
        for user in users[:3]:
            assert (await _attempt(attacker, user.email, "WrongPass123")).status_code == 401

        blocked = await _attempt(attacker, users[3].email, PASSWORD)
        from_elsewhere = await _attempt(neighbour, users[3].email, PASSWORD)

    _assert_rate_limited(blocked)
    assert from_elsewhere.status_code == 200


async def test_successful_logins_count_against_the_ip_limit(
    settings: Settings, tmp_path: Path
) -> None:
    limited = _limited_settings(
        settings, tmp_path, login_attempts_per_account=100, login_attempts_per_ip=2
    )
    async with running_app(limited) as (app, _), api_client(app, ip="203.0.113.9") as http:
        user = await create_user(app.state.runtime)
        statuses = [(await _attempt(http, user.email, PASSWORD)).status_code for _ in range(2)]
        third = await _attempt(http, user.email, PASSWORD)

    assert statuses == [200, 200]
    _assert_rate_limited(third)
