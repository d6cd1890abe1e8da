"""`lane/auto` through the model layer, /v1 and a character, against the fake upstream:
the lane picked, the reason recorded on the usage row, and catalogues without the
intent lanes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import select

from cognitia.llm import logic
from cognitia.llm.logic import Target
from cognitia.llm.ports import ChatMessage, ChatRequest
from cognitia.llm.service import CallContext, Generator, ModelSelected
from cognitia.models.llm_call import LlmCall
from cognitia.runtime import Runtime
from tests.conftest import make_settings
from tests.llm.conftest import catalogue_text
from tests.support.apps import running_app
from tests.support.factories import user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

LLM = tuple[FastAPI, httpx.AsyncClient]
CODE = "Write a function that checks whether a number is prime"
PLAN = "What are the steps to move my blog to a new host?"
GOVERN = "Is it legal to publish a photo of my neighbour?"
# Over the long_input_tokens of the app below (200), under every model's window.
LONG = "Summarise this letter for me. " + "The meeting went on and on. " * 40
LONG_TOKENS = logic.estimate_prompt_tokens([ChatMessage("user", LONG)])


@pytest_asyncio.fixture
async def routed_app(
    database_url: str, tmp_path: Path, upstream: FakeUpstream
) -> AsyncIterator[LLM]:
    """The llm tests' catalogue with code and plan on model b and long on c (retrieve and
    govern are not named: they take the chat lane's chain), and the classifier on, over
    the fake upstream's embedder (word-hash vectors: shared words, similar vectors)."""
    text = catalogue_text(upstream).replace(
        "[lanes]\n", '[lanes]\ncode = ["b"]\nplan = ["b"]\nlong = ["c"]\n'
    )
    path = tmp_path / "models.toml"
    path.write_text('default_embedder = "fake"\n' + text)
    llm = {
        "catalogue_path": path,
        "routing": {"long_input_tokens": 200, "classifier": True},
    }
    async with running_app(make_settings(database_url, tmp_path, llm=llm)) as app:
        yield app


async def rows(runtime: Runtime) -> list[LlmCall]:
    await runtime.usage.drain()
    async with runtime.db.unit_of_work() as session:
        return list((await session.scalars(select(LlmCall).order_by(LlmCall.created_at))).all())


async def generate(runtime: Runtime, prompt: str) -> ModelSelected:
    request = ChatRequest(messages=[ChatMessage("user", prompt)])
    generator = Generator(runtime.models, runtime.usage, CallContext(user_id=None))
    events = [e async for e in generator.stream(request, Target(lane="auto"))]
    return next(e for e in events if isinstance(e, ModelSelected))


async def test_each_kind_is_served_by_its_lane_and_the_row_says_why(
    routed_app: LLM, upstream: FakeUpstream
) -> None:
    runtime: Runtime = routed_app[0].state.runtime
    upstream.script("model-b", reply="ok", times=2)
    upstream.script("claude-c", reply="ok")
    upstream.script("model-a", reply="ok", times=2)

    assert (await generate(runtime, CODE)).model == "b"
    assert (await generate(runtime, PLAN)).model == "b"
    assert (await generate(runtime, LONG)).model == "c"
    assert (await generate(runtime, GOVERN)).model == "a", "govern: the chat lane's chain"
    assert (await generate(runtime, "Hi! Tell me a joke")).model == "a"

    # (usage is written by detached tasks: rows are matched by lane, not by order)
    recorded = {r.routed_lane: (r.lane, r.route_reason, r.model) for r in await rows(runtime)}
    chat_lane, chat_reason, chat_model = recorded.pop("chat")
    assert recorded == {
        "code": ("auto", "code: asks to write or fix code", "b"),
        "plan": ("auto", "plan: asks for steps or a plan", "b"),
        "long": ("auto", f"long: about {LONG_TOKENS} input tokens, at least 200", "c"),
        "govern": ("auto", "govern: asks about policy, compliance or safety", "a"),
    }
    # No rule matched: the classifier found the prompt nearest a chat example.
    assert (chat_lane, chat_model) == ("auto", "a")
    assert chat_reason is not None
    assert chat_reason.startswith("classifier: nearest chat ")


async def test_a_named_lane_records_no_route(llm_app: LLM, upstream: FakeUpstream) -> None:
    runtime: Runtime = llm_app[0].state.runtime
    upstream.script("model-a", reply="ok")
    request = ChatRequest(messages=[ChatMessage("user", CODE)])
    generator = Generator(runtime.models, runtime.usage, CallContext(user_id=None))
    _ = [e async for e in generator.stream(request, Target(lane="chat"))]
    [row] = await rows(runtime)
    assert (row.lane, row.routed_lane, row.route_reason) == ("chat", None, None)


async def test_v1_answers_lane_auto_and_names_the_lane_in_headers(
    routed_app: LLM, upstream: FakeUpstream
) -> None:
    app, client = routed_app
    runtime: Runtime = app.state.runtime
    user, headers = await user_with_token(runtime, client)
    upstream.script("model-b", reply="def is_prime(n): ...")
    body = {"model": "lane/auto", "messages": [{"role": "user", "content": CODE}]}

    response = await client.post("/v1/chat/completions", json=body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "def is_prime(n): ..."
    assert response.headers["x-cognitia-lane"] == "code"
    assert response.headers["x-cognitia-route-reason"] == "code: asks to write or fix code"
    [row] = await rows(runtime)
    assert (row.user_id, row.lane, row.routed_lane, row.model) == (user.id, "auto", "code", "b")


async def test_v1_streams_lane_auto(routed_app: LLM, upstream: FakeUpstream) -> None:
    app, client = routed_app
    _, headers = await user_with_token(app.state.runtime, client)
    upstream.script("claude-c", reply="A long meeting.")
    body = {"model": "lane/auto", "messages": [{"role": "user", "content": LONG}], "stream": True}

    response = await client.post("/v1/chat/completions", json=body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.headers["x-cognitia-lane"] == "long"
    chunks = [
        json.loads(line[len("data: ") :])
        for line in response.text.splitlines()
        if line.startswith("data: {")
    ]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "A long meeting."


async def test_v1_names_a_plain_lane_without_a_reason(llm_app: LLM, upstream: FakeUpstream) -> None:
    app, client = llm_app
    _, headers = await user_with_token(app.state.runtime, client)
    upstream.script("model-a", reply="hi")
    body = {"model": "lane/chat", "messages": [{"role": "user", "content": "hi"}]}
    response = await client.post("/v1/chat/completions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["x-cognitia-lane"] == "chat"
    assert "x-cognitia-route-reason" not in response.headers


async def test_an_unknown_lane_is_still_404_and_auto_is_listed(llm_app: LLM) -> None:
    app, client = llm_app
    _, headers = await user_with_token(app.state.runtime, client)
    body = {"model": "lane/nope", "messages": [{"role": "user", "content": CODE}]}

    response = await client.post("/v1/chat/completions", json=body, headers=headers)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"
    listed = (await client.get("/v1/models", headers=headers)).json()
    ids = {entry["id"] for entry in listed["data"]}
    assert {"lane/auto", "lane/code", "lane/long", "lane/retrieve", "lane/govern"} <= ids


async def test_a_catalogue_without_the_intent_lanes_routes_to_the_chat_chain(
    llm_app: LLM, upstream: FakeUpstream
) -> None:
    app, client = llm_app
    runtime: Runtime = app.state.runtime
    _, headers = await user_with_token(runtime, client)
    upstream.script("model-a", reply="def f(): ...")
    body = {"model": "lane/auto", "messages": [{"role": "user", "content": CODE}]}

    response = await client.post("/v1/chat/completions", json=body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.headers["x-cognitia-lane"] == "code"
    [row] = await rows(runtime)
    assert (row.routed_lane, row.model) == ("code", "a")


async def test_a_character_on_lane_auto_is_routed_from_the_chat(
    routed_app: LLM, upstream: FakeUpstream
) -> None:
    app, client = routed_app
    runtime: Runtime = app.state.runtime
    _, headers = await user_with_token(runtime, client)
    refused = await create_character(client, headers, model="lane/nope")
    assert refused.status_code == 422
    assert refused.json()["error"] == "unknown_model"
    created = await create_character(client, headers, model="lane/auto")
    assert created.status_code == 201, created.text
    upstream.script("model-b", reply="First, back up the blog.")
    body = {
        "model": f"character/{created.json()['id']}",
        "messages": [{"role": "user", "content": PLAN}],
    }

    response = await client.post("/v1/chat/completions", json=body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.headers["x-cognitia-lane"] == "plan"
    [row] = await rows(runtime)
    assert (row.character_id, row.lane, row.routed_lane) == (
        created.json()["id"],
        "auto",
        "plan",
    )


async def create_character(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> httpx.Response:
    body = {"name": "Guide", **fields}
    return await client.post("/api/v2/characters", json=body, headers=headers)
