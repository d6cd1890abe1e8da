"""Routing, fallback, circuit breaking and usage records, against the fake upstream."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cognitia.llm.logic import Target
from cognitia.llm.ports import ChatMessage, ChatRequest, Sampling, TextDelta
from cognitia.llm.service import (
    CallContext,
    ContextTooLong,
    GenerationEvent,
    GenerationFailed,
    Generator,
    ModelSelected,
    ModelsUnavailable,
    UnknownModelError,
    UpstreamRejected,
)
from cognitia.models.llm_call import LlmCall
from cognitia.runtime import Runtime
from tests.support.fake_upstream import FakeUpstream
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

HELLO = ChatRequest(messages=[ChatMessage("user", "hello there")])


def runtime_of(llm_app: tuple[FastAPI, httpx.AsyncClient]) -> Runtime:
    rt: Runtime = llm_app[0].state.runtime
    return rt


async def run(
    runtime: Runtime, target: Target, request: ChatRequest = HELLO
) -> list[GenerationEvent]:
    generator = Generator(runtime.models, runtime.usage, CallContext(user_id=None))
    try:
        return [event async for event in generator.stream(request, target)]
    finally:
        await runtime.usage.drain()


def text_of(events: list[GenerationEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def served_by(events: list[GenerationEvent]) -> ModelSelected:
    return next(e for e in events if isinstance(e, ModelSelected))


async def calls(runtime: Runtime) -> list[LlmCall]:
    async with runtime.db.unit_of_work() as session:
        rows = await session.scalars(select(LlmCall).order_by(LlmCall.fallback_index))
        return list(rows.all())


LLM = tuple[FastAPI, httpx.AsyncClient]


async def test_first_choice_serves_and_its_cost_is_recorded(
    llm_app: LLM, upstream: FakeUpstream
) -> None:
    runtime = runtime_of(llm_app)
    upstream.script("model-a", reply="Hi from a", prompt_tokens=1000)
    events = await run(runtime, Target(lane="chat"))
    assert text_of(events) == "Hi from a"
    assert served_by(events) == ModelSelected("a", "up_a", 0)
    [row] = await calls(runtime)
    assert (row.model, row.provider, row.outcome, row.lane) == ("a", "up_a", "ok", "chat")
    assert row.prompt_tokens == 1000
    assert row.completion_tokens == 3
    # 1000 * $2.50/M + 3 * $10/M = $0.0025 + $0.00003
    assert row.cost_nanousd == 2_500_000 + 30_000
    assert row.ttft_ms is not None
    assert row.latency_ms >= row.ttft_ms


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 503},
        {"status": 500},
        {"hang": True},
        {"status": 429, "retry_after": "30"},
    ],
    ids=["503", "500", "timeout", "429"],
)
async def test_failure_before_first_token_falls_back(
    llm_app: LLM, upstream: FakeUpstream, failure: dict[str, Any]
) -> None:
    runtime = runtime_of(llm_app)
    upstream.script("model-a", **failure)
    upstream.script("model-b", reply="b saves the day")
    events = await run(runtime, Target(lane="chat"))
    assert text_of(events) == "b saves the day"
    assert served_by(events) == ModelSelected("b", "up_b", 1)
    rows = await calls(runtime)
    assert [(r.model, r.outcome, r.fallback_index) for r in rows] == [
        ("a", "error", 0),
        ("b", "ok", 1),
    ]


async def test_connection_refused_falls_back(llm_app: LLM, upstream: FakeUpstream) -> None:
    runtime = runtime_of(llm_app)
    upstream.script("model-b", reply="still here")
    events = await run(runtime, Target(model="gone"))
    assert text_of(events) == "still here"
    assert served_by(events).model == "b"


async def test_retry_after_keeps_the_provider_skipped(llm_app: LLM, upstream: FakeUpstream) -> None:
    runtime = runtime_of(llm_app)
    upstream.script("model-a", status=429, retry_after="60")
    await run(runtime, Target(lane="chat"))
    asked_a = len(upstream.requests_for("model-a"))
    events = await run(runtime, Target(lane="chat"))
    assert served_by(events).model == "b"
    assert len(upstream.requests_for("model-a")) == asked_a, "a was asked during its Retry-After"


async def test_breaker_opens_after_threshold_and_skips_the_provider(
    llm_app: LLM, upstream: FakeUpstream
) -> None:
    runtime = runtime_of(llm_app)
    upstream.script("model-a", status=503, times=2)
    for _ in range(2):
        assert served_by(await run(runtime, Target(lane="chat"))).model == "b"
    assert len(upstream.requests_for("model-a")) == 2
    events = await run(runtime, Target(lane="chat"))
    assert served_by(events).model == "b"
    assert len(upstream.requests_for("model-a")) == 2, "an open breaker must skip model a"
    assert runtime.models.breaker("up_a").state == "open"


async def test_failure_after_first_token_keeps_partial_text_and_asks_nobody_else(
    llm_app: LLM, upstream: FakeUpstream
) -> None:
    runtime = runtime_of(llm_app)
    upstream.script("model-a", reply="one two three four five", fail_after=2)
    events = await run(runtime, Target(lane="chat"))
    failed = events[-1]
    assert isinstance(failed, GenerationFailed)
    assert failed.partial_text == "one two"
    assert text_of(events) == "one two"
    assert upstream.requests_for("model-b") == []
    [row] = await calls(runtime)
    assert row.outcome == "error"


async def test_rejected_request_is_not_retried(llm_app: LLM, upstream: FakeUpstream) -> None:
    runtime = runtime_of(llm_app)
    upstream.script("model-a", status=400, message="bad stop sequence")
    with pytest.raises(UpstreamRejected, match="bad stop sequence"):
        await run(runtime, Target(lane="chat"))
    assert upstream.requests_for("model-b") == []


async def test_every_model_failing_is_models_unavailable(
    llm_app: LLM, upstream: FakeUpstream
) -> None:
    runtime = runtime_of(llm_app)
    upstream.script("model-a", status=503)
    upstream.script("model-b", status=503)
    with pytest.raises(ModelsUnavailable):
        await run(runtime, Target(lane="chat"))
    assert [r.outcome for r in await calls(runtime)] == ["error", "error"]


async def test_anthropic_model_serves_a_lane(llm_app: LLM, upstream: FakeUpstream) -> None:
    runtime = runtime_of(llm_app)
    upstream.script("claude-c", reply="Greetings from Claude", prompt_tokens=10)
    events = await run(runtime, Target(lane="roleplay"))
    assert text_of(events) == "Greetings from Claude"
    [row] = await calls(runtime)
    assert (row.model, row.prompt_tokens, row.completion_tokens) == ("c", 10, 3)
    assert row.cost_nanousd == 10 * 3000 + 3 * 15000


async def test_models_whose_window_is_too_small_are_skipped(
    llm_app: LLM, upstream: FakeUpstream
) -> None:
    runtime = runtime_of(llm_app)
    long = ChatRequest(
        messages=[ChatMessage("user", "word " * 400)], sampling=Sampling(max_tokens=10)
    )
    upstream.script("model-b", reply="I can read it all")
    events = await run(runtime, Target(lane="summarize"), long)
    assert served_by(events).model == "b"
    assert upstream.requests_for("model-tiny") == []
    huge = ChatRequest(messages=[ChatMessage("user", "word " * 5000)])
    with pytest.raises(ContextTooLong):
        await run(runtime, Target(lane="summarize"), huge)


async def test_unknown_model_and_lane(llm_app: LLM) -> None:
    runtime = runtime_of(llm_app)
    with pytest.raises(UnknownModelError):
        await run(runtime, Target(model="nope"))
    with pytest.raises(UnknownModelError):
        await run(runtime, Target(lane="nope"))


async def test_stopping_early_cancels_upstream_and_records_the_call(
    llm_app: LLM, upstream: FakeUpstream
) -> None:
    runtime = runtime_of(llm_app)
    upstream.script("model-a", reply="a b c d e f g h i j", token_delay=0.05)
    generator = Generator(runtime.models, runtime.usage, CallContext(user_id=None))
    stream = generator.stream(HELLO, Target(lane="chat"))
    async for event in stream:
        if isinstance(event, TextDelta):
            break
    await stream.aclose()
    await eventually(lambda: _async(upstream.last("model-a").disconnected))
    await runtime.usage.drain()
    [row] = await calls(runtime)
    assert row.outcome == "cancelled"


async def _async(value: bool) -> bool:
    return value


async def test_raw_prompt_reaches_only_models_that_complete_text(
    llm_app: LLM, upstream: FakeUpstream
) -> None:
    """Model a has no "completion" capability: it gets the role messages, not the prompt."""
    runtime = runtime_of(llm_app)
    upstream.script("model-a", reply="from messages")
    request = ChatRequest(messages=[ChatMessage("user", "hi")], prompt="<|user|>hi<|model|>")
    events = await run(runtime, Target(lane="chat"), request)
    assert text_of(events) == "from messages"
    sent = upstream.last("model-a")
    assert sent.path == "/v1/chat/completions"
    assert "prompt" not in sent.body


async def test_raw_prompt_goes_to_a_completion_model(llm_app: LLM, upstream: FakeUpstream) -> None:
    runtime = runtime_of(llm_app)
    upstream.script("model-raw", reply="from the prompt")
    request = ChatRequest(messages=[ChatMessage("user", "hi")], prompt="<|user|>hi<|model|>")
    events = await run(runtime, Target(model="raw"), request)
    assert text_of(events) == "from the prompt"
    sent = upstream.last("model-raw")
    assert sent.path == "/v1/completions"
    assert sent.body["prompt"] == "<|user|>hi<|model|>"
