"""OpenAICompatible against the fake upstream over real HTTP and SSE."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
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
from cognitia.llm.providers.openai_compat import OpenAICompatible
from tests.support.fake_upstream import FakeUpstream
from tests.support.net import free_port
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

KEY = "sk-test-secret-123"
MODEL = "gpt-fake"
HELLO = ChatRequest(messages=[ChatMessage("user", "hello there")])


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


def make(base_url: str, **overrides: Any) -> OpenAICompatible:
    config = ProviderConfig(type="openai", base_url=base_url, api_key=SecretStr(KEY), **overrides)
    return OpenAICompatible("fake-openai", config)


@pytest_asyncio.fixture
async def provider(upstream: FakeUpstream) -> AsyncIterator[OpenAICompatible]:
    model = make(upstream.openai_url, first_token_timeout_seconds=5)
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


async def test_streams_the_scripted_reply(
    upstream: FakeUpstream, provider: OpenAICompatible
) -> None:
    upstream.script(MODEL, reply="The quick brown fox jumps")
    events = await collect(provider.stream(HELLO, model=MODEL))
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert [d.text for d in deltas] == ["The", " quick", " brown", " fox", " jumps"]
    assert events[len(deltas) :] == [Usage(prompt_tokens=2, completion_tokens=5), Finish("stop")]


async def test_char_pieces_and_echo(upstream: FakeUpstream, provider: OpenAICompatible) -> None:
    upstream.script(MODEL, split="char")
    events = await collect(provider.stream(HELLO, model=MODEL))
    assert text_of(events) == "You said: hello there"
    assert len([e for e in events if isinstance(e, TextDelta)]) == len("You said: hello there")


async def test_length_finish(upstream: FakeUpstream, provider: OpenAICompatible) -> None:
    upstream.script(MODEL, reply="one two three four")
    request = ChatRequest(messages=HELLO.messages, sampling=Sampling(max_tokens=2))
    events = await collect(provider.stream(request, model=MODEL))
    assert text_of(events) == "one two"
    assert events[-1] == Finish("length")


@pytest.mark.parametrize(
    ("upstream_reason", "reason"),
    [("tool_calls", "tool_calls"), ("content_filter", "stop"), ("stop_sequence", "stop")],
)
async def test_finish_reasons(
    upstream: FakeUpstream, provider: OpenAICompatible, upstream_reason: str, reason: FinishReason
) -> None:
    upstream.script(MODEL, reply="ok", finish=upstream_reason)
    events = await collect(provider.stream(HELLO, model=MODEL))
    assert events[-1] == Finish(reason)


async def test_request_mapping(upstream: FakeUpstream) -> None:
    provider = make(upstream.openai_url, headers={"X-Team": "core", "OpenAI-Organization": "org-1"})
    request = ChatRequest(
        messages=[
            ChatMessage("system", "You are Ada."),
            ChatMessage("user", "Hi", name="bob"),
            ChatMessage("assistant", "Hello Bob."),
            ChatMessage("user", "Tell me a joke."),
        ],
        sampling=Sampling(temperature=0.7, top_p=0.9, max_tokens=64, stop=("\nUser:",), seed=7),
        response_format={"type": "json_object"},
        tools=[{"type": "function", "function": {"name": "roll", "parameters": {}}}],
    )
    try:
        await collect(provider.stream(request, model=MODEL))
    finally:
        await provider.close()
    sent = upstream.last(MODEL)
    assert sent.path == "/v1/chat/completions"
    assert sent.body == {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "You are Ada."},
            {"role": "user", "content": "Hi", "name": "bob"},
            {"role": "assistant", "content": "Hello Bob."},
            {"role": "user", "content": "Tell me a joke."},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.7,
        "top_p": 0.9,
        "max_tokens": 64,
        "seed": 7,
        "stop": ["\nUser:"],
        "response_format": {"type": "json_object"},
        "tools": [{"type": "function", "function": {"name": "roll", "parameters": {}}}],
    }
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["x-team"] == "core"
    assert sent.headers["openai-organization"] == "org-1"
    assert sent.headers["accept"] == "text/event-stream"


async def test_no_key_sends_no_authorization(upstream: FakeUpstream) -> None:
    provider = OpenAICompatible(
        "local", ProviderConfig(type="openai", base_url=upstream.openai_url)
    )
    try:
        await collect(provider.stream(HELLO, model=MODEL))
    finally:
        await provider.close()
    assert "authorization" not in upstream.last(MODEL).headers


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_unavailable(
    upstream: FakeUpstream, provider: OpenAICompatible, status: int
) -> None:
    upstream.script(MODEL, status=status, message="engine is down")
    with pytest.raises(ProviderUnavailable, match="engine is down") as caught:
        await collect(provider.stream(HELLO, model=MODEL))
    assert caught.value.status == status
    assert caught.value.retryable


async def test_rate_limit_carries_retry_after_seconds(
    upstream: FakeUpstream, provider: OpenAICompatible
) -> None:
    upstream.script(MODEL, status=429, retry_after="7", message="Rate limit reached")
    with pytest.raises(ProviderRateLimited, match="Rate limit reached") as caught:
        await collect(provider.stream(HELLO, model=MODEL))
    assert caught.value.status == 429
    assert caught.value.retry_after == 7.0


async def test_rate_limit_carries_retry_after_date(
    upstream: FakeUpstream, provider: OpenAICompatible
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    upstream.script(MODEL, status=429, retry_after=when)
    with pytest.raises(ProviderRateLimited) as caught:
        await collect(provider.stream(HELLO, model=MODEL))
    assert caught.value.retry_after is not None
    assert 60 < caught.value.retry_after <= 120


async def test_bad_request_is_rejected_with_upstream_message(
    upstream: FakeUpstream, provider: OpenAICompatible
) -> None:
    upstream.script(MODEL, status=400, message=f"context too long for key {KEY}")
    with pytest.raises(ProviderRejected, match="context too long") as caught:
        await collect(provider.stream(HELLO, model=MODEL))
    assert caught.value.status == 400
    assert not caught.value.retryable
    assert KEY not in str(caught.value)


async def test_connection_refused_is_unavailable() -> None:
    provider = make(f"http://127.0.0.1:{free_port()}/v1")
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
    provider = make(upstream.openai_url, first_token_timeout_seconds=0.2)
    try:
        with pytest.raises(ProviderUnavailable, match=r"no token within 0\.2s"):
            await collect(provider.stream(HELLO, model=MODEL))
    finally:
        await provider.close()

    async def gone() -> bool:
        return upstream.last(MODEL).disconnected

    assert await eventually(gone)


async def test_dropped_connection_mid_stream(
    upstream: FakeUpstream, provider: OpenAICompatible
) -> None:
    upstream.script(MODEL, reply="a b c d e", fail_after=2)
    events = await read_until_error(provider.stream(HELLO, model=MODEL), ProviderUnavailable)
    assert events == [TextDelta("a"), TextDelta(" b")]


async def test_error_event_mid_stream(upstream: FakeUpstream, provider: OpenAICompatible) -> None:
    upstream.script(MODEL, reply="a b c d e", error_after=3)
    events = await read_until_error(provider.stream(HELLO, model=MODEL), ProviderUnavailable)
    assert text_of(events) == "a b c"


async def test_closing_the_stream_early_closes_the_request(
    upstream: FakeUpstream, provider: OpenAICompatible
) -> None:
    upstream.script(MODEL, reply="a b c d e", stall_after=3)
    stream = provider.stream(HELLO, model=MODEL)
    assert isinstance(stream, AsyncGenerator)
    assert await anext(stream) == TextDelta("a")
    await stream.aclose()

    async def gone() -> bool:
        return upstream.last(MODEL).disconnected

    assert await eventually(gone)


async def test_cancelling_the_consumer_closes_the_request(
    upstream: FakeUpstream, provider: OpenAICompatible
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

    async def gone() -> bool:
        return upstream.last(MODEL).disconnected

    assert await eventually(gone)


async def test_one_provider_serves_concurrent_streams(
    upstream: FakeUpstream, provider: OpenAICompatible
) -> None:
    upstream.script(MODEL, reply="same words back", times=None)
    replies = await asyncio.gather(
        *(collect(provider.stream(HELLO, model=MODEL)) for _ in range(8))
    )
    assert {text_of(events) for events in replies} == {"same words back"}


async def test_count_tokens_is_unknown(provider: OpenAICompatible) -> None:
    assert await provider.count_tokens("some text", model=MODEL) is None


async def test_sequential_streams_reuse_the_connection(
    upstream: FakeUpstream, provider: OpenAICompatible
) -> None:
    for _ in range(3):
        events = await collect(provider.stream(HELLO, model=MODEL))
        assert events[-1] == Finish("stop")
    assert len({r.peer for r in upstream.requests_for(MODEL)}) == 1


async def test_raw_prompt_goes_to_the_completions_endpoint(
    provider: OpenAICompatible, upstream: FakeUpstream
) -> None:
    upstream.script(MODEL, reply="Once upon a time", prompt_tokens=9)
    request = ChatRequest(
        messages=[ChatMessage("user", "unused")],
        sampling=Sampling(max_tokens=20, stop=("\nYou:",)),
        prompt="### Instruction:\nTell a story.\n### Response:\n",
    )
    events = await collect(provider.stream(request, model=MODEL))
    assert text_of(events) == "Once upon a time"
    assert Usage(9, 4) in events
    sent = upstream.last(MODEL)
    assert sent.path == "/v1/completions"
    assert sent.body["prompt"].startswith("### Instruction:")
    assert "messages" not in sent.body
    assert sent.body["stop"] == ["\nYou:"]
