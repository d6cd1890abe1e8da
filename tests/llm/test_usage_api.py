"""Usage by day and model: mine through /api/v2/usage, everyone's for admins."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from cognitia.runtime import Runtime
from tests.support.factories import user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

LLM = tuple[FastAPI, httpx.AsyncClient]


async def chat(client: httpx.AsyncClient, headers: dict[str, str], model: str) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    response = await client.post("/v1/chat/completions", json=body, headers=headers)
    assert response.status_code == 200, response.text


async def test_users_see_their_own_usage_and_admins_see_everyones(
    llm_app: LLM, upstream: FakeUpstream
) -> None:
    app, client = llm_app
    runtime: Runtime = app.state.runtime
    alice, alice_headers = await user_with_token(runtime, client)
    bob, bob_headers = await user_with_token(runtime, client)
    _, admin_headers = await user_with_token(runtime, client, admin=True)
    upstream.script("model-a", reply="one two three", prompt_tokens=100, times=2)
    upstream.script("model-b", reply="four five", prompt_tokens=10)
    await chat(client, alice_headers, "a")
    await chat(client, alice_headers, "a")
    await chat(client, alice_headers, "b")
    upstream.script("model-b", reply="six", prompt_tokens=1)
    await chat(client, bob_headers, "b")
    await runtime.usage.drain()

    mine = (await client.get("/api/v2/usage", headers=alice_headers)).json()
    by_model = {row["model"]: row for row in mine["rows"]}
    assert set(by_model) == {"a", "b"}
    assert by_model["a"]["calls"] == 2
    assert by_model["a"]["prompt_tokens"] == 200
    assert by_model["a"]["completion_tokens"] == 6
    # 200 * $2.50/M + 6 * $10/M
    assert by_model["a"]["cost_usd"] == pytest.approx(0.0005 + 0.00006)
    assert by_model["b"]["calls"] == 1
    assert mine["total_calls"] == 3
    assert mine["total_tokens"] == 200 + 6 + 10 + 2

    bobs = (await client.get("/api/v2/usage", headers=bob_headers)).json()
    assert bobs["total_calls"] == 1

    forbidden = await client.get("/api/v2/admin/usage", headers=alice_headers)
    assert forbidden.status_code == 403
    everyone = (await client.get("/api/v2/admin/usage", headers=admin_headers)).json()
    assert {row["user_id"] for row in everyone["rows"]} == {alice.id, bob.id}
    assert everyone["total_calls"] == 4
    only_bob = (
        await client.get("/api/v2/admin/usage", params={"user_id": bob.id}, headers=admin_headers)
    ).json()
    assert only_bob["total_calls"] == 1


async def test_failed_attempts_are_counted(llm_app: LLM, upstream: FakeUpstream) -> None:
    app, client = llm_app
    runtime: Runtime = app.state.runtime
    _, headers = await user_with_token(runtime, client)
    upstream.script("model-a", status=503)
    upstream.script("model-b", reply="ok")
    await chat(client, headers, "lane/chat")
    await runtime.usage.drain()
    rows = {
        r["model"]: r for r in (await client.get("/api/v2/usage", headers=headers)).json()["rows"]
    }
    assert rows["a"]["failed"] == 1
    assert rows["b"]["failed"] == 0


@pytest.mark.parametrize("days", ["0", "367", "x"])
async def test_bad_day_ranges_are_422(llm_app: LLM, days: str) -> None:
    app, client = llm_app
    _, headers = await user_with_token(app.state.runtime, client)
    response = await client.get("/api/v2/usage", params={"days": days}, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


async def test_catalogue_endpoint_lists_prices_and_lanes(llm_app: LLM) -> None:
    app, client = llm_app
    _, headers = await user_with_token(app.state.runtime, client)
    body = (await client.get("/api/v2/models", headers=headers)).json()
    a = next(m for m in body["models"] if m["id"] == "a")
    assert (a["input_price_per_mtok"], a["output_price_per_mtok"]) == (2.5, 10.0)
    assert body["lanes"]["chat"] == ["a", "b"]
