"""AnthropicMessages against the fake upstream over real HTTP and SSE."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr

from cognitia.llm.catalogue import ProviderConfig
from cognitia.llm.ports import (
    ChatMessage,
    ChatRequest,
    Finish,
    FinishReason,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    Sampling,
    StreamEvent,
    TextDelta,
    Usage,
)
from cognitia.llm.providers.anthropic import AnthropicMessages
from tests.support.fake_upstream import FakeUpstream
from tests.support.net import free_port
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

KEY = "ak-test-secret-456"
MODEL = "claude-fake"
HELLO = ChatRequest(messages=[ChatMessage("user", "hello there")])


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


def make(base_url: str, **overrides: Any) -> AnthropicMessages:
    config = ProviderConfig(
        type="anthropic", base_url=base_url, api_key=SecretStr(KEY), **overrides
    )
    return AnthropicMessages("fake-anthropic", config)


@pytest_asyncio.fixture
async def provider(upstream: FakeUpstream) -> AsyncIterator[AnthropicMessages]:
    model = make(upstream.url, first_token_timeout_seconds=5)
    yield model
    await model.close()


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def read_until_error(
    stream: AsyncIterator[StreamEvent], kind: type[Exception]
) -> list[StreamEvent]:
    """The events that arrived before the stream raised `kind`."""
    events: list[StreamEvent] = []

    async def consume() -> None:
        async for event in stream:
            events.append(event)

    with pytest.raises(kind):
        await consume()
    return events


async def disconnected(upstream: FakeUpstream) -> bool:
    async def gone() -> bool:
        return upstream.last(MODEL).disconnected

    return await eventually(gone)


async def test_streams_the_scripted_reply(
    upstream: FakeUpstream, provider: AnthropicMessages
) -> None:
    upstream.script(MODEL, reply="Bonjour tout le monde")
    events = await collect(provider.stream(HELLO, model=MODEL))
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert [d.text for d in deltas] == ["Bonjour", " tout", " le", " monde"]
    assert events[len(deltas) :] == [Usage(prompt_tokens=2, completion_tokens=4), Finish("stop")]


@pytest.mark.parametrize(
    ("stop_reason", "reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("pause_turn", "stop"),
    ],
)
async def test_stop_reasons(
    upstream: FakeUpstream, provider: AnthropicMessages, stop_reason: str, reason: FinishReason
) -> None:
    upstream.script(MODEL, reply="ok", finish=stop_reason)
    events = await collect(provider.stream(HELLO, model=MODEL))
    assert events[-1] == Finish(reason)


async def test_max_tokens_means_length(upstream: FakeUpstream, provider: AnthropicMessages) -> None:
    upstream.script(MODEL, reply="one two three four")
    request = ChatRequest(messages=HELLO.messages, sampling=Sampling(max_tokens=3))
    events = await collect(provider.stream(request, model=MODEL))
    assert text_of(events) == "one two three"
    assert events[-2:] == [Usage(prompt_tokens=2, completion_tokens=3), Finish("length")]


async def test_stop_sequence_ends_the_reply(
    upstream: FakeUpstream, provider: AnthropicMessages
) -> None:
    upstream.script(MODEL, reply="Sure. User: next question")
    request = ChatRequest(messages=HELLO.messages, sampling=Sampling(stop=("User:",)))
    events = await collect(provider.stream(request, model=MODEL))
    assert text_of(events) == "Sure. "
    assert events[-1] == Finish("stop")


async def test_request_mapping(upstream: FakeUpstream) -> None:
    provider = make(upstream.url, headers={"anthropic-beta": "tools-2024", "X-Team": "core"})
    request = ChatRequest(
        messages=[
            ChatMessage("system", "You are Ada."),
            ChatMessage("system", "Stay in character."),
            ChatMessage("user", "Hi"),
            ChatMessage("user", "Are you there?"),
            ChatMessage("assistant", "I am."),
            ChatMessage("user", ""),
            ChatMessage("user", "Good."),
        ],
        sampling=Sampling(temperature=1.5, top_p=0.9, stop=("\nUser:",), seed=7),
        response_format={"type": "json_object"},
        tools=[
            {
                "type": "function",
                "function": {
                    "name": "roll",
                    "description": "Roll a die.",
                    "parameters": {"type": "object", "properties": {"sides": {"type": "integer"}}},
                },
            }
        ],
    )
    try:
        await collect(provider.stream(request, model=MODEL))
    finally:
        await provider.close()
    sent = upstream.last(MODEL)
    assert sent.path == "/v1/messages"
    assert sent.body == {
        "model": MODEL,
        "max_tokens": 1024,
        "stream": True,
        "system": "You are Ada.\n\nStay in character.",
        "messages": [
            {"role": "user", "content": "Hi\n\nAre you there?"},
            {"role": "assistant", "content": "I am."},
            {"role": "user", "content": "Good."},
        ],
        "temperature": 1.0,
        "top_p": 0.9,
        "stop_sequences": ["\nUser:"],
        "tools": [
            {
                "name": "roll",
                "description": "Roll a die.",
                "input_schema": {"type": "object", "properties": {"sides": {"type": "integer"}}},
            }
        ],
    }
    assert sent.headers["x-api-key"] == KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["anthropic-beta"] == "tools-2024"
    assert sent.headers["x-team"] == "core"
    assert "authorization" not in sent.headers


async def test_max_tokens_is_passed_when_set(
    upstream: FakeUpstream, provider: AnthropicMessages
) -> None:
    request = ChatRequest(messages=HELLO.messages, sampling=Sampling(max_tokens=77))
    await collect(provider.stream(request, model=MODEL))
    assert upstream.last(MODEL).body["max_tokens"] == 77
    assert "system" not in upstream.last(MODEL).body


@pytest.mark.parametrize("status", [500, 503, 529])
async def test_server_errors_are_unavailable(
    upstream: FakeUpstream, provider: AnthropicMessages, status: int
) -> None:
    upstream.script(MODEL, status=status, message="Overloaded")
    with pytest.raises(ProviderUnavailable, match="Overloaded") as caught:
        await collect(provider.stream(HELLO, model=MODEL))
    assert caught.value.status == status


async def test_rate_limit_carries_retry_after(
    upstream: FakeUpstream, provider: AnthropicMessages
) -> None:
    upstream.script(MODEL, status=429, retry_after="12", message="Number of requests exceeded")
    with pytest.raises(ProviderRateLimited, match="Number of requests exceeded") as caught:
        await collect(provider.stream(HELLO, model=MODEL))
    assert caught.value.retry_after == 12.0


async def test_bad_request_is_rejected_with_upstream_message(
    upstream: FakeUpstream, provider: AnthropicMessages
) -> None:
    upstream.script(MODEL, status=400, message=f"messages: roles must alternate ({KEY})")
    with pytest.raises(ProviderRejected, match="roles must alternate") as caught:
        await collect(provider.stream(HELLO, model=MODEL))
    assert caught.value.status == 400
    assert KEY not in str(caught.value)


async def test_connection_refused_is_unavailable() -> None:
    provider = make(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(ProviderUnavailable):
            await collect(provider.stream(HELLO, model=MODEL))
    finally:
        await provider.close()


@pytest.mark.parametrize("script", [{"hang": True}, {"stall_after": 0}])
async def test_no_first_token_in_time_is_unavailable(
    upstream: FakeUpstream, script: dict[str, Any]
) -> None:
    upstream.script(MODEL, **script)
    provider = make(upstream.url, first_token_timeout_seconds=0.2)
    try:
        with pytest.raises(ProviderUnavailable, match=r"no token within 0\.2s"):
            await collect(provider.stream(HELLO, model=MODEL))
    finally:
        await provider.close()
    assert await disconnected(upstream)


async def test_dropped_connection_mid_stream(
    upstream: FakeUpstream, provider: AnthropicMessages
) -> None:
    upstream.script(MODEL, reply="a b c d e", fail_after=2)
    events = await read_until_error(provider.stream(HELLO, model=MODEL), ProviderUnavailable)
    assert events == [TextDelta("a"), TextDelta(" b")]


async def test_overloaded_event_mid_stream_is_unavailable(
    upstream: FakeUpstream, provider: AnthropicMessages
) -> None:
    upstream.script(MODEL, reply="a b c d e", error_after=3)
    events = await read_until_error(provider.stream(HELLO, model=MODEL), ProviderUnavailable)
    assert text_of(events) == "a b c"


async def test_invalid_request_event_mid_stream_is_rejected(
    upstream: FakeUpstream, provider: AnthropicMessages
) -> None:
    upstream.script(MODEL, reply="a b c", error_after=1, status=400, message="bad input")
    events = await read_until_error(provider.stream(HELLO, model=MODEL), ProviderRejected)
    assert events == [TextDelta("a")]


async def test_closing_the_stream_early_closes_the_request(
    upstream: FakeUpstream, provider: AnthropicMessages
) -> None:
    upstream.script(MODEL, reply="a b c d e", stall_after=3)
    stream = provider.stream(HELLO, model=MODEL)
    assert isinstance(stream, AsyncGenerator)
    assert await anext(stream) == TextDelta("a")
    await stream.aclose()
    assert await disconnected(upstream)


async def test_cancelling_the_consumer_closes_the_request(
    upstream: FakeUpstream, provider: AnthropicMessages
) -> None:
    upstream.script(MODEL, reply="a b c", stall_after=1)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in provider.stream(HELLO, model=MODEL):
            first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await disconnected(upstream)


async def test_count_tokens_is_unknown(provider: AnthropicMessages) -> None:
    assert await provider.count_tokens("some text", model=MODEL) is None


async def test_sequential_streams_reuse_the_connection(
    upstream: FakeUpstream, provider: AnthropicMessages
) -> None:
    for _ in range(3):
        events = await collect(provider.stream(HELLO, model=MODEL))
        assert events[-1] == Finish("stop")
    assert len({r.peer for r in upstream.requests_for(MODEL)}) == 1
