"""memory.enabled = false: replies recall nothing and their exchanges are not indexed
(the chat loop benchmark's "memory off", and stateless characters)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from cognitia.memory.tasks import INDEX_EXCHANGE
from cognitia.models.job import Job
from tests.chats.conftest import fake_model_settings
from tests.chats.helpers import create_character, create_chat
from tests.memory.helpers import say
from tests.support.apps import running_app
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("enabled", [True, False])
async def test_without_memory_nothing_is_recalled_or_indexed(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, enabled: bool
) -> None:
    settings = fake_model_settings(
        database_url, tmp_path, upstream, memory={"enabled": enabled}, jobs={"run_in_api": False}
    )
    async with running_app(settings) as (app, client):
        runtime = runtime_of(app)
        alice, headers = await user_with_token(runtime, client)
        aria = await create_character(runtime, owner=alice)
        chat = await create_chat(client, headers, aria.id)
        upstream.script("rp-model", reply="Noted.", times=None)

        reply = await say(client, headers, chat["id"], "My sister plays the oboe.")
        async with runtime.db.read() as session:
            queued = await session.scalar(
                select(func.count()).select_from(Job).where(Job.name == INDEX_EXCHANGE)
            )

    assert reply["status"] == "complete"
    # The query's embedding is recall's first step; the index job, indexing's.
    assert (len(upstream.requests_for("embed-fake")) > 0) is enabled
    assert queued == (1 if enabled else 0)
