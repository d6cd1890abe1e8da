"""The plan's concurrent generations and its models, on every route that makes a model
answer: N replies run at once and the next is refused 429 too_many_generations until one
ends; a model outside the plan's list is refused 403 model_not_in_plan."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from cognitia.models.plan import Plan
from cognitia.models.subscription import Subscription
from cognitia.runtime import Runtime
from tests.chats.conftest import fake_model_settings
from tests.chats.helpers import create_character, create_chat
from tests.support.apps import running_app
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

App = tuple[FastAPI, httpx.AsyncClient]
JSON = {"Accept": "application/json"}
# Replies that hold their slots for seconds, so requests sent together overlap.
SLOW = {"reply": "one two three four five", "token_delay": 0.5}


async def _on_plan(runtime: Runtime, client: httpx.AsyncClient, plan: str) -> Any:
    user, headers = await user_with_token(runtime, client)
    async with runtime.db.unit_of_work() as session:
        session.add(Subscription(user_id=user.id, plan_id=plan))
    return user, {**headers, **JSON}


async def _set_plan(runtime: Runtime, plan: str, **values: object) -> None:
    async with runtime.db.unit_of_work() as session:
        await session.execute(update(Plan).where(Plan.id == plan).values(**values))


async def _chats(
    runtime: Runtime, client: httpx.AsyncClient, user: Any, headers: Any, n: int
) -> list[str]:
    character = await create_character(runtime, owner=user)
    return [
        f"/api/v2/chats/{(await create_chat(client, headers, character.id))['id']}/messages"
        for _ in range(n)
    ]


async def test_n_replies_run_at_once_and_the_next_waits(
    free_app: App, upstream: FakeUpstream
) -> None:
    runtime, client = runtime_of(free_app[0]), free_app[1]
    user, headers = await _on_plan(runtime, client, "basic")  # 2 at once
    urls = await _chats(runtime, client, user, headers, 3)
    upstream.script("rp-model", times=None, **SLOW)

    answers = await asyncio.gather(
        *(client.post(u, json={"content": "hi"}, headers=headers) for u in urls)
    )
    after = await client.post(urls[0], json={"content": "again"}, headers=headers)

    assert sorted(a.status_code for a in answers) == [200, 200, 429]
    [refused] = [a for a in answers if a.status_code == 429]
    assert (refused.json()["error"], refused.json()["limit"]) == ("too_many_generations", 2)
    assert refused.headers["Retry-After"] == "5"
    assert after.status_code == 200, after.text  # the slots were given back
    usage = (await client.get("/api/v2/subscription/usage", headers=headers)).json()
    assert usage["today"]["messages"]["used"] == 3  # the refused one was not counted


async def test_the_cap_holds_across_two_processes(
    tmp_path: Path, database_url: str, redis_url: str, upstream: FakeUpstream
) -> None:
    settings = fake_model_settings(
        database_url, tmp_path, upstream, redis_url=redis_url, jobs={"backend": "embedded"}
    )
    upstream.script("rp-model", times=None, **SLOW)
    async with running_app(settings) as (one, first), running_app(settings) as (_, second):
        runtime = runtime_of(one)
        user, headers = await _on_plan(runtime, first, "basic")
        urls = await _chats(runtime, first, user, headers, 4)
        clients = [first, second, first, second]
        sends = [
            c.post(u, json={"content": "hi"}, headers=headers)
            for c, u in zip(clients, urls, strict=True)
        ]

        statuses = sorted(r.status_code for r in await asyncio.gather(*sends))

        assert statuses == [200, 200, 429, 429]
        assert await runtime.quotas.slots.held(user.id) == 0  # type: ignore[union-attr]


async def test_a_v1_stream_gives_its_slot_back_when_it_ends(
    free_app: App, upstream: FakeUpstream
) -> None:
    runtime, client = runtime_of(free_app[0]), free_app[1]
    await _set_plan(runtime, "pro", concurrent_generations=1)
    user, headers = await _on_plan(runtime, client, "pro")
    upstream.script("rp-model", reply="one two three", times=None)
    body = {"model": "rp", "stream": True, "messages": [{"role": "user", "content": "hi"}]}

    streams = [await client.post("/v1/chat/completions", json=body, headers=headers) for _ in "ab"]

    assert [s.status_code for s in streams] == [200, 200]
    assert all(s.text.rstrip().endswith("data: [DONE]") for s in streams)
    assert await runtime.quotas.slots.held(user.id) == 0  # type: ignore[union-attr]


async def test_a_model_outside_the_plan_is_refused_naming_a_plan_with_it(
    free_app: App, upstream: FakeUpstream
) -> None:
    runtime, client = runtime_of(free_app[0]), free_app[1]
    for plan in ("free", "basic"):
        await _set_plan(runtime, plan, models_allowed=["alpha"])
    user, headers = await _on_plan(runtime, client, "basic")
    on_rp = await create_character(runtime, owner=user, model="rp")
    on_alpha = await create_character(runtime, owner=user, model="alpha", name="Al")
    upstream.script("alpha-model", reply="Fine.", times=None)
    rp_chat = await create_chat(client, headers, on_rp.id)
    alpha_chat = await create_chat(client, headers, on_alpha.id)

    refused = await client.post(
        f"/api/v2/chats/{rp_chat['id']}/messages", json={"content": "hi"}, headers=headers
    )
    allowed = await client.post(
        f"/api/v2/chats/{alpha_chat['id']}/messages", json={"content": "hi"}, headers=headers
    )

    assert refused.status_code == 403
    body = refused.json()
    assert (body["error"], body["model"], body["upgrade_to"]) == ("model_not_in_plan", "rp", "pro")
    assert allowed.status_code == 200, allowed.text
    usage = (await client.get("/api/v2/subscription/usage", headers=headers)).json()
    assert usage["today"]["messages"]["used"] == 1


async def test_v1_holds_the_plan_to_its_models(free_app: App, upstream: FakeUpstream) -> None:
    runtime, client = runtime_of(free_app[0]), free_app[1]
    await _set_plan(runtime, "pro", models_allowed=["alpha"])
    _, headers = await _on_plan(runtime, client, "pro")
    upstream.script("alpha-model", reply="Fine.", times=None)
    upstream.script("rp-model", reply="Fine.", times=None)

    def ask(model: str) -> Any:
        body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
        return client.post("/v1/chat/completions", json=body, headers=headers)

    refused, allowed, lane = await ask("rp"), await ask("alpha"), await ask("lane/chat")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "model_not_in_plan"
    assert allowed.status_code == 200, allowed.text
    assert lane.status_code == 200, lane.text  # a lane's models are the operator's choice
