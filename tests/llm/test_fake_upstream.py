"""The fake upstream speaks the real wire formats: the official SDKs understand it."""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from tests.support.fake_upstream import FakeUpstream, Script, embedding
from tests.support.net import free_port
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


async def test_openai_sdk_streams_reply_and_usage(upstream: FakeUpstream) -> None:
    upstream.script("gpt-fake", reply="The quick brown fox")
    client = openai.AsyncOpenAI(base_url=upstream.openai_url, api_key="sk-x", max_retries=0)
    async with client:
        stream = await client.chat.completions.create(
            model="gpt-fake",
            messages=[{"role": "user", "content": "tell me about foxes"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "The quick brown fox"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    usage = chunks[-1].usage
    assert chunks[-1].choices == []
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (4, 4, 8)
    assert upstream.last("gpt-fake").headers["authorization"] == "Bearer sk-x"


async def test_openai_sdk_plain_completion_stops_at_max_tokens(upstream: FakeUpstream) -> None:
    client = openai.AsyncOpenAI(base_url=upstream.openai_url, api_key="sk-x", max_retries=0)
    async with client:
        completion = await client.chat.completions.create(
            model="gpt-fake",
            messages=[{"role": "user", "content": "one two three"}],
            max_tokens=3,
        )
    assert completion.choices[0].message.content == "You said: one"
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 3


async def test_openai_sdk_sees_rate_limit(upstream: FakeUpstream) -> None:
    upstream.script("gpt-fake", status=429, retry_after="3", message="slow down")
    client = openai.AsyncOpenAI(base_url=upstream.openai_url, api_key="sk-x", max_retries=0)
    async with client:
        with pytest.raises(openai.RateLimitError) as caught:
            await client.chat.completions.create(
                model="gpt-fake", messages=[{"role": "user", "content": "hi"}]
            )
    assert caught.value.response.headers["retry-after"] == "3"
    assert "slow down" in caught.value.message


async def test_openai_sdk_embeddings_and_models(upstream: FakeUpstream) -> None:
    client = openai.AsyncOpenAI(base_url=upstream.openai_url, api_key="sk-x", max_retries=0)
    texts = ["the cat sat on the mat", "the cat sat on a mat", "quarterly tax filing"]
    async with client:
        result = await client.embeddings.create(model="embed-fake", input=texts)
        models = await client.models.list()
    vectors = [item.embedding for item in result.data]
    assert [len(v) for v in vectors] == [384, 384, 384]
    assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-4) for v in vectors)
    assert vectors[0] == pytest.approx(embedding(texts[0], 384), abs=1e-6)

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    assert "fake-model" in [m.id for m in models.data]


async def test_anthropic_sdk_streams_final_message(upstream: FakeUpstream) -> None:
    upstream.script("claude-fake", reply="Bonjour tout le monde")
    client = anthropic.AsyncAnthropic(base_url=upstream.url, api_key="ak-x", max_retries=0)
    async with (
        client,
        client.messages.stream(
            model="claude-fake",
            max_tokens=100,
            system="Be brief.",
            messages=[{"role": "user", "content": "say hello in French"}],
        ) as stream,
    ):
        pieces = [text async for text in stream.text_stream]
        final = await stream.get_final_message()
    assert len(pieces) == 4
    assert final.content[0].type == "text"
    assert final.content[0].text == "Bonjour tout le monde"
    assert final.stop_reason == "end_turn"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (6, 4)
    recorded = upstream.last("claude-fake")
    credentials = recorded.headers.get("x-api-key") or recorded.headers["authorization"]
    assert credentials.endswith("ak-x")
    assert recorded.headers["anthropic-version"]
    assert recorded.body["system"] == "Be brief."


async def test_anthropic_sdk_sees_stop_sequence_and_max_tokens(upstream: FakeUpstream) -> None:
    upstream.script("claude-fake", reply="Alpha beta. END gamma")
    upstream.script("claude-fake", reply="one two three four")
    client = anthropic.AsyncAnthropic(base_url=upstream.url, api_key="ak-x", max_retries=0)
    user: list[anthropic.types.MessageParam] = [{"role": "user", "content": "go"}]
    async with client:
        stopped = await client.messages.create(
            model="claude-fake", max_tokens=50, stop_sequences=["END"], messages=user
        )
        async with client.messages.stream(
            model="claude-fake", max_tokens=2, messages=user
        ) as stream:
            cut = await stream.get_final_message()
    assert stopped.content[0].type == "text"
    assert stopped.content[0].text == "Alpha beta. "
    assert (stopped.stop_reason, stopped.stop_sequence) == ("stop_sequence", "END")
    assert cut.content[0].type == "text"
    assert cut.content[0].text == "one two"
    assert cut.stop_reason == "max_tokens"


async def test_anthropic_sdk_sees_error_event_mid_stream(upstream: FakeUpstream) -> None:
    upstream.script("claude-fake", reply="a b c d", error_after=2)
    client = anthropic.AsyncAnthropic(base_url=upstream.url, api_key="ak-x", max_retries=0)
    received: list[str] = []

    async def read() -> None:
        async with client.messages.stream(
            model="claude-fake", max_tokens=50, messages=[{"role": "user", "content": "go"}]
        ) as stream:
            async for text in stream.text_stream:
                received.append(text)

    async with client:
        with pytest.raises(anthropic.APIStatusError, match="scripted upstream failure"):
            await read()
    assert received == ["a", " b"]


async def test_scripts_are_per_model_and_counted(upstream: FakeUpstream) -> None:
    upstream.script("a", reply="first", times=2)
    upstream.script("a", Script(reply="always"), times=None)
    upstream.default_script = Script(reply="default")
    async with httpx.AsyncClient(base_url=upstream.openai_url) as client:

        async def ask(model: str) -> str:
            body = {"model": model, "messages": [{"role": "user", "content": "x"}]}
            response = await client.post("/chat/completions", json=body)
            content: str = response.json()["choices"][0]["message"]["content"]
            return content

        replies = [await ask(m) for m in ("a", "b", "a", "a", "a")]
    assert replies == ["first", "default", "first", "always", "always"]
    assert [r.model for r in upstream.requests] == ["a", "b", "a", "a", "a"]


async def test_records_client_leaving_early(upstream: FakeUpstream) -> None:
    upstream.script("gpt-fake", stall_after=1)
    body = {"model": "gpt-fake", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    async with (
        httpx.AsyncClient(base_url=upstream.openai_url) as client,
        client.stream("POST", "/chat/completions", json=body) as response,
    ):
        async for line in response.aiter_lines():
            if '"content":"You"' in line:
                break

    async def gone() -> bool:
        return upstream.last("gpt-fake").disconnected

    assert await eventually(gone)
    assert not upstream.last("gpt-fake").completed


@asynccontextmanager
async def _separate_process(*args: str) -> AsyncIterator[httpx.AsyncClient]:
    """The fake as its own process (as the browser suites run it), and a client to it."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.fake_upstream",
        "--port",
        str(port),
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def ready() -> bool:
                try:
                    return (await client.get("/v1/models")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready)
            yield client
    finally:
        process.terminate()
        await process.wait()


async def test_runs_as_a_separate_process() -> None:
    async with _separate_process("--reply", "from afar") as client:
        await client.post("/_fake/script", json={"model": "m", "reply": "scripted"})
        body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
        first = await client.post("/v1/chat/completions", json=body)
        second = await client.post("/v1/chat/completions", json=body)
        recorded = (await client.get("/_fake/requests")).json()
    assert first.json()["choices"][0]["message"]["content"] == "scripted"
    assert second.json()["choices"][0]["message"]["content"] == "from afar"
    assert [r["body"]["model"] for r in recorded] == ["m", "m"]


async def test_a_separate_process_holds_a_reply_until_released() -> None:
    async with _separate_process() as client:
        script = {"model": "m", "reply": "let go", "hold": True}
        await client.post("/_fake/script", json=script)
        body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
        answer = asyncio.create_task(client.post("/v1/chat/completions", json=body))

        async def arrived() -> bool:
            return len((await client.get("/_fake/requests")).json()) == 1

        await eventually(arrived)
        assert not answer.done(), "a held reply answered before it was released"
        assert (await client.post("/_fake/release")).json() == {"ok": True}
        response = await answer
    assert response.json()["choices"][0]["message"]["content"] == "let go"
