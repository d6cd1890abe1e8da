"""The first account of a development instance on console mail: an admin, verified at once.

Everywhere else (a real mail backend, production mode, any later account) sign-up is the
usual one: an unverified user and a mailed link.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from cognitia.auth.first_user import NOTICE, first_user_notice
from cognitia.config import Settings
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.factories import PASSWORD, create_user, mail_jobs_to, runtime_of
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.asyncio

REGISTER = "/api/v2/auth/register"


def console_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    return make_settings(database_url, tmp_path, mail={"backend": "console"}, **overrides)


async def register(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    response = await client.post(REGISTER, json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()
    return user


async def test_the_first_account_is_an_admin_verified_at_once(
    database_url: str, tmp_path: Path
) -> None:
    async with running_app(console_settings(database_url, tmp_path)) as (app, client):
        first = await register(client, "first@example.com")

        assert (first["role"], first["is_verified"]) == ("admin", True)
        assert await mail_jobs_to(runtime_of(app), "first@example.com") == 0
        login = {"email": "first@example.com", "password": PASSWORD}
        assert (await client.post("/api/v2/auth/login", json=login)).status_code == 200


async def test_the_second_account_signs_up_as_usual(database_url: str, tmp_path: Path) -> None:
    async with running_app(console_settings(database_url, tmp_path)) as (app, client):
        await register(client, "first@example.com")

        second = await register(client, "second@example.com")

        assert (second["role"], second["is_verified"]) == ("user", False)
        assert await mail_jobs_to(runtime_of(app), "second@example.com") == 1


async def test_an_account_made_by_the_admin_command_counts(
    database_url: str, tmp_path: Path
) -> None:
    async with running_app(console_settings(database_url, tmp_path)) as (app, client):
        await create_user(runtime_of(app), email="made@example.com")

        user = await register(client, "later@example.com")

        assert (user["role"], user["is_verified"]) == ("user", False)


async def test_two_first_sign_ups_at_once_make_one_admin(database_url: str, tmp_path: Path) -> None:
    async with running_app(console_settings(database_url, tmp_path)) as (_, client):
        users = await asyncio.gather(*(register(client, f"racer{n}@example.com") for n in range(4)))

        assert sorted(u["role"] for u in users) == ["admin", "user", "user", "user"]
        assert sorted(u["is_verified"] for u in users) == [False, False, False, True]


async def test_with_the_memory_backend_the_first_account_is_usual(
    client: httpx.AsyncClient,
) -> None:
    first = await register(client, "first@example.com")

    assert (first["role"], first["is_verified"]) == ("user", False)


async def test_with_smtp_the_first_account_is_usual(database_url: str, tmp_path: Path) -> None:
    with smtp_server() as inbox:
        mail = {"backend": "smtp", "smtp_port": inbox.port, "smtp_starttls": False}
        settings = make_settings(database_url, tmp_path, mail=mail)
        async with running_app(settings) as (app, client):
            first = await register(client, "first@example.com")

            assert (first["role"], first["is_verified"]) == ("user", False)
            assert await mail_jobs_to(runtime_of(app), "first@example.com") == 1


async def test_in_production_the_first_account_is_usual(database_url: str, tmp_path: Path) -> None:
    settings = console_settings(database_url, tmp_path, environment="production")
    async with running_app(settings) as (app, client):
        first = await register(client, "first@example.com")

        assert (first["role"], first["is_verified"]) == ("user", False)
        assert await mail_jobs_to(runtime_of(app), "first@example.com") == 1


async def test_the_start_up_log_says_so_while_there_is_no_account(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = console_settings(database_url, tmp_path)
    async with running_app(settings) as (app, client):
        # create_app configures logging (JSON lines on stderr), replacing caplog's handler.
        assert NOTICE in capsys.readouterr().err
        await register(client, "first@example.com")

        assert await first_user_notice(settings, runtime_of(app).db) is None


async def test_no_notice_with_a_real_mail_backend_or_in_production(
    database_url: str, tmp_path: Path, runtime: Any
) -> None:
    production = console_settings(database_url, tmp_path, environment="production")

    assert await first_user_notice(make_settings(database_url, tmp_path), runtime.db) is None
    assert await first_user_notice(production, runtime.db) is None
    assert await first_user_notice(console_settings(database_url, tmp_path), runtime.db) == NOTICE
