"""E-mail that strangers can trigger is limited: per address silently, per IP with 429."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.factories import create_user, mail_jobs_to, runtime_of

pytestmark = pytest.mark.asyncio


async def test_reset_mail_per_address_stops_silently(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, auth={"emails_per_address_per_hour": 2})
    async with running_app(settings) as (app, client):
        user = await create_user(runtime_of(app))
        for _ in range(4):
            response = await client.post(
                "/api/v2/auth/request-password-reset", json={"email": user.email}
            )
            assert response.status_code == 202, "the answer must not reveal the limit"
        assert await mail_jobs_to(runtime_of(app), user.email) == 2


async def test_mail_requests_per_ip_get_429(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, auth={"login_attempts_per_ip": 3})
    async with running_app(settings) as (_, client):
        statuses = [
            (
                await client.post(
                    "/api/v2/auth/resend-verification", json={"email": f"x{i}@example.com"}
                )
            ).status_code
            for i in range(4)
        ]
    assert statuses == [202, 202, 202, 429]
