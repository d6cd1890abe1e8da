"""Two API processes on one database and one Redis: the last message of the day goes to
exactly one of the requests racing for it, whichever process each reaches."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from cognitia.models.plan import Plan
from cognitia.runtime import Runtime
from tests.chats.conftest import fake_model_settings
from tests.chats.helpers import create_character, create_chat
from tests.support.apps import running_app
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

RACERS = 20


async def _uncap_generations(runtime: Runtime, plan_id: str) -> None:
    """Free allows one generation at a time, which would refuse the racers before the
    daily count does."""
    async with runtime.db.unit_of_work() as session:
        await session.execute(
            update(Plan).where(Plan.id == plan_id).values(concurrent_generations=None)
        )


NOON = datetime(2026, 12, 6, 12, tzinfo=UTC)


async def test_the_last_message_goes_to_one_request_across_two_processes(
    tmp_path: Path, database_url: str, redis_url: str, upstream: FakeUpstream
) -> None:
    settings = fake_model_settings(
        database_url,
        tmp_path,
        upstream,
        redis_url=redis_url,
        jobs={"backend": "embedded"},
        billing={"default_plan": "free"},
    )
    upstream.script("rp-model", reply="Yes.", times=None)
    async with running_app(settings) as (one, first), running_app(settings) as (two, second):
        runtime = runtime_of(one)
        for app in (one, two):  # one day for the whole test, even one run at midnight
            runtime_of(app).quotas.clock = lambda: NOON
        await _uncap_generations(runtime, "free")  # this race is for the day's last message
        user, headers = await user_with_token(runtime, first)
        chat = await create_chat(first, headers, (await create_character(runtime, owner=user)).id)
        for _ in range(49):
            assert await runtime.quotas.counters.take(user.id, "messages", "2026-12-06", limit=50)
        url = f"/api/v2/chats/{chat['id']}/messages"
        clients: list[httpx.AsyncClient] = [first, second] * (RACERS // 2)
        sends = [c.post(url, json={"content": "me"}, headers=headers) for c in clients]

        answers = await asyncio.gather(*sends)

        assert sorted(r.status_code for r in answers) == [200] + [429] * (RACERS - 1)
        refusals = {r.json()["error"] for r in answers if r.status_code == 429}
        assert refusals == {"quota_exceeded"}
