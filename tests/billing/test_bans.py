"""Temporary bans: every 429 adds points to its caller; reaching the threshold bans them
(403 temporarily_banned with Retry-After) until it ends or an admin lifts it. Shared by
every API process through Redis."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cognitia.config import Settings
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.factories import (
    api_client,
    bearer,
    create_api_key,
    runtime_of,
    user_with_token,
)

pytestmark = pytest.mark.asyncio

URL = "/api/v2/subscription/current"
LIMITS = {
    "rate_limits": {"requests_per_user": 2, "requests_per_ip": 2, "window_seconds": 3600},
    "bans": {"threshold": 2, "duration_seconds": 600, "window_seconds": 3600},
}


def _settings(database_url: str, tmp_path: Path, **overrides: object) -> Settings:
    return make_settings(database_url, tmp_path, billing=LIMITS, **overrides)


async def _statuses(client: httpx.AsyncClient, headers: dict[str, str], n: int) -> list[int]:
    return [(await client.get(URL, headers=headers)).status_code for _ in range(n)]


async def test_two_refusals_ban_until_an_admin_lifts_it(database_url: str, tmp_path: Path) -> None:
    async with running_app(_settings(database_url, tmp_path)) as (app, client):
        runtime = runtime_of(app)
        user, headers = await user_with_token(runtime, client)
        async with api_client(app, ip="10.0.0.2") as other:
            _, admin = await user_with_token(runtime, other, admin=True)

            statuses = await _statuses(client, headers, 4)
            banned = await client.get(URL, headers=headers)
            lifted = await other.delete(f"/api/v2/admin/users/{user.id}/ban", headers=admin)
            after = await client.get(URL, headers=headers)
            missing = await other.delete("/api/v2/admin/users/nobody/ban", headers=admin)

    assert statuses == [200, 200, 429, 429]
    assert banned.status_code == 403
    assert banned.json()["error"] == "temporarily_banned"
    assert 590 <= int(banned.headers["Retry-After"]) <= 600
    assert lifted.status_code == 204
    assert after.status_code == 429  # no longer banned; still over the rate limit
    assert missing.status_code == 404


async def test_an_api_key_counts_on_its_own_and_its_ban_is_lifted_with_its_user(
    database_url: str, tmp_path: Path
) -> None:
    async with running_app(_settings(database_url, tmp_path)) as (app, client):
        runtime = runtime_of(app)
        user, headers = await user_with_token(runtime, client)
        key = bearer((await create_api_key(client, headers))["key"])
        async with api_client(app, ip="10.0.0.5") as other:
            _, admin = await user_with_token(runtime, other, admin=True)

            statuses = await _statuses(client, key, 5)
            as_the_user = await client.get(URL, headers=headers)
            lifted = await other.delete(f"/api/v2/admin/users/{user.id}/ban", headers=admin)
            after = await client.get(URL, headers=key)

    assert statuses == [200, 200, 429, 429, 403]
    assert as_the_user.status_code == 200  # the key's ban is the key's
    assert lifted.status_code == 204
    assert after.status_code == 429


async def test_anonymous_callers_are_banned_by_ip(database_url: str, tmp_path: Path) -> None:
    async with (
        running_app(_settings(database_url, tmp_path)) as (app, _),
        api_client(app, ip="10.0.0.3") as stranger,
        api_client(app, ip="10.0.0.4") as bystander,
    ):
        plans = "/api/v2/subscription/plans"
        statuses = [(await stranger.get(plans)).status_code for _ in range(5)]
        other_ip = await bystander.get(plans)

    assert statuses == [200, 200, 429, 429, 403]
    assert other_ip.status_code == 200


async def test_bans_are_off_by_default(database_url: str, tmp_path: Path) -> None:
    limits = {"rate_limits": LIMITS["rate_limits"]}
    async with running_app(make_settings(database_url, tmp_path, billing=limits)) as (app, client):
        _, headers = await user_with_token(runtime_of(app), client)
        assert await _statuses(client, headers, 6) == [200, 200, 429, 429, 429, 429]


async def test_a_ban_holds_in_every_process(
    database_url: str, tmp_path: Path, redis_url: str
) -> None:
    settings = _settings(database_url, tmp_path, redis_url=redis_url, jobs={"backend": "embedded"})
    async with running_app(settings) as (one, first), running_app(settings) as (_, second):
        _, headers = await user_with_token(runtime_of(one), first)
        statuses = await _statuses(first, headers, 4)
        elsewhere = await second.get(URL, headers=headers)

    assert statuses == [200, 200, 429, 429]
    assert elsewhere.status_code == 403
    assert elsewhere.json()["error"] == "temporarily_banned"


async def test_without_redis_a_ban_holds_in_every_process_on_one_database(
    database_url: str, tmp_path: Path
) -> None:
    """No Redis: the points and the ban are rows, so a second process on the same
    database refuses the banned caller too, and an admin's lift in one process holds in
    the other."""
    settings = _settings(database_url, tmp_path)
    assert settings.redis_url is None
    async with running_app(settings) as (one, first), running_app(settings) as (two, second):
        user, headers = await user_with_token(runtime_of(one), first)
        # Each process counts rates in its own memory (2 per window each): one 429, one
        # point, in each process; the second point bans.
        statuses = await _statuses(first, headers, 3) + await _statuses(second, headers, 3)
        banned_here = await first.get(URL, headers=headers)
        banned_there = await second.get(URL, headers=headers)
        async with api_client(two, ip="10.0.0.9") as other:
            _, admin = await user_with_token(runtime_of(two), other, admin=True)
            lifted = await other.delete(f"/api/v2/admin/users/{user.id}/ban", headers=admin)
        after = await first.get(URL, headers=headers)

    assert statuses == [200, 200, 429, 200, 200, 429]
    assert (banned_here.status_code, banned_there.status_code) == (403, 403)
    assert banned_here.json()["error"] == "temporarily_banned"
    assert 590 <= int(banned_there.headers["Retry-After"]) <= 600
    assert lifted.status_code == 204
    assert after.status_code == 429  # no longer banned; still over this process's rate
