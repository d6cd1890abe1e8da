"""Rate limits per class of route: per user, per IP without credentials, and the
routes that make a model answer; X-RateLimit-* on every answer, Retry-After on a refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chats.conftest import fake_model_settings
from tests.chats.helpers import create_character, create_chat
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio


@pytest.fixture
def db_backend() -> str:
    return "sqlite"  # the counters are the rate limiter's; the database plays no part


async def test_a_user_past_the_limit_is_refused_with_headers(
    database_url: str, tmp_path: Path
) -> None:
    rates = {"rate_limits": {"requests_per_user": 3, "requests_per_ip": 100}}
    settings = make_settings(database_url, tmp_path, billing=rates)
    async with running_app(settings) as (app, client):
        _, headers = await user_with_token(runtime_of(app), client)
        answers = [await client.get("/api/v2/users/me", headers=headers) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["X-RateLimit-Limit"] for a in answers} == {"3"}
    refused = answers[3]
    assert refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert 0 < int(refused.headers["X-RateLimit-Reset"]) <= 60


async def test_anonymous_requests_count_per_ip_and_probes_never(
    database_url: str, tmp_path: Path
) -> None:
    rates = {"rate_limits": {"requests_per_ip": 2}}
    settings = make_settings(database_url, tmp_path, billing=rates)
    async with running_app(settings) as (app, client):
        _, headers = await user_with_token(runtime_of(app), client)  # its login: 1 of 2
        plans = [await client.get("/api/v2/subscription/plans") for _ in range(2)]
        signed_in = await client.get("/api/v2/subscription/plans", headers=headers)
        probes = [await client.get("/healthz") for _ in range(3)]

    assert [p.status_code for p in plans] == [200, 429]
    assert signed_in.status_code == 200  # counted against the user, not the address
    assert [p.status_code for p in probes] == [200, 200, 200]


async def test_generations_have_their_own_limit_before_the_quota(
    database_url: str, tmp_path: Path, upstream: FakeUpstream
) -> None:
    rates = {"rate_limits": {"generations_per_user": 1}}
    settings = fake_model_settings(database_url, tmp_path, upstream, billing=rates)
    upstream.script("rp-model", reply="Hi.", times=None)
    async with running_app(settings) as (app, client):
        runtime = runtime_of(app)
        user, headers = await user_with_token(runtime, client)
        chat = await create_chat(client, headers, (await create_character(runtime, owner=user)).id)
        url, json_headers = f"/api/v2/chats/{chat['id']}/messages", {**headers, "Accept": "json"}
        sent = await client.post(url, json={"content": "1"}, headers=json_headers)
        refused = await client.post(url, json={"content": "2"}, headers=json_headers)
        usage = (await client.get("/api/v2/subscription/usage", headers=headers)).json()

    assert (sent.status_code, refused.status_code) == (200, 429)
    assert refused.json()["error"] == "rate_limited"
    assert refused.headers["X-RateLimit-Limit"] == "1"
    assert usage["today"]["messages"]["used"] == 1  # the refused one took no quota
