"""LocalLlama on the real bundled SmolLM2-135M (tiny: its replies are weak but real).

The model loads once per module; every generation keeps max_tokens small so the module
stays quick on two cores. Sampling is greedy (temperature 0), so replies repeat.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from llama_cpp import Llama

from cognitia.llm.catalogue import ProviderConfig
from cognitia.llm.ports import (
    ChatMessage,
    ChatRequest,
    Finish,
    ProviderRejected,
    ProviderUnavailable,
    Sampling,
    StreamEvent,
    TextDelta,
    Usage,
)
from cognitia.llm.runner.llama import BUFFERED_DELTAS, LocalLlama, bundled_model_path
from tests.support.waiting import eventually

LONG_PROMPT = "Write a long story about a dragon."


@pytest_asyncio.fixture(scope="module")
async def llama() -> AsyncIterator[LocalLlama]:
    provider = LocalLlama("local", ProviderConfig(type="local", concurrency=1))
    yield provider
    await provider.close()


def ask(
    prompt: str,
    *,
    max_tokens: int = 16,
    stop: tuple[str, ...] = (),
    response_format: dict[str, Any] | None = None,
) -> ChatRequest:
    return ChatRequest(
        [ChatMessage("user", prompt)],
        sampling=Sampling(temperature=0.0, max_tokens=max_tokens, stop=stop),
        response_format=response_format,
    )


async def collect(provider: LocalLlama, request: ChatRequest) -> list[StreamEvent]:
    return [event async for event in provider.stream(request, model="smollm2-135m")]


def text_of(events: Sequence[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def tail(events: Sequence[StreamEvent]) -> tuple[Usage, Finish]:
    """The stream's shape: deltas, then one Usage, then one Finish."""
    *deltas, usage, finish = events
    assert all(isinstance(e, TextDelta) for e in deltas)
    assert isinstance(usage, Usage)
    assert isinstance(finish, Finish)
    return usage, finish


@pytest.mark.asyncio
async def test_streams_text_then_usage_then_finish(llama: LocalLlama) -> None:
    events = await collect(llama, ask("What is the capital of France?", max_tokens=12))

    usage, finish = tail(events)
    assert text_of(events).strip()
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens > 0
    assert finish.reason in ("stop", "length")


@pytest.mark.asyncio
async def test_max_tokens_ends_with_length(llama: LocalLlama) -> None:
    events = await collect(llama, ask(LONG_PROMPT, max_tokens=5))

    usage, finish = tail(events)
    assert finish == Finish("length")
    assert 0 < usage.completion_tokens <= 5


@pytest.mark.asyncio
async def test_stop_sequence_is_respected(llama: LocalLlama) -> None:
    request = ask("Count from 1 to 10, separated by commas.", max_tokens=40, stop=("5",))
    events = await collect(llama, request)

    _, finish = tail(events)
    assert finish == Finish("stop")
    text = text_of(events)
    assert "4" in text  # it counted up to the stop sequence ...
    assert "5" not in text  # ... and not past it


@pytest.mark.asyncio
async def test_prompt_tokens_follow_the_prompt(llama: LocalLlama) -> None:
    short, longer = "Hi", "Hi there! Tell me, how are you doing today?"
    short_usage = tail(await collect(llama, ask(short, max_tokens=1)))[0]
    longer_usage = tail(await collect(llama, ask(longer, max_tokens=1)))[0]

    # The chat template around the message is the same; only the message's tokens differ.
    grown = await llama.count_tokens(longer, model="m") - await llama.count_tokens(short, model="m")
    assert longer_usage.prompt_tokens - short_usage.prompt_tokens == grown > 0


@pytest.mark.asyncio
async def test_count_tokens_uses_the_model_tokenizer(llama: LocalLlama) -> None:
    text = "Cognitia counts tokens the way SmolLM2 does: précisément."
    vocab = Llama(model_path=bundled_model_path(), vocab_only=True, verbose=False)
    try:
        expected = len(vocab.tokenize(text.encode("utf-8"), add_bos=False))
    finally:
        vocab.close()

    assert await llama.count_tokens(text, model="smollm2-135m") == expected
    assert expected > 0


@pytest.mark.asyncio
async def test_cancelling_stops_the_generating_thread(llama: LocalLlama) -> None:
    # Greedy decoding: the same prompt runs past 40 tokens when nobody stops it.
    _, finish = tail(await collect(llama, ask(LONG_PROMPT, max_tokens=40)))
    assert finish == Finish("length")
    before = llama.tokens_generated

    async with aclosing(llama.stream(ask(LONG_PROMPT, max_tokens=400), model="m")) as stream:
        async for event in stream:
            assert isinstance(event, TextDelta)
            break

    async def stopped() -> bool:
        return llama.active_generations == 0

    await eventually(stopped)
    # The worker can run at most a buffer ahead of the consumer, then it saw the flag.
    assert llama.tokens_generated - before <= BUFFERED_DELTAS + 2
    # The slot came back: with concurrency=1 this would wait forever otherwise.
    _, finish = tail(await collect(llama, ask("Say yes.", max_tokens=3)))
    assert finish.reason in ("stop", "length")


@pytest.mark.asyncio
async def test_two_streams_share_one_slot(llama: LocalLlama) -> None:
    seen_active: list[int] = []

    async def run(prompt: str) -> list[StreamEvent]:
        events = []
        async for event in llama.stream(ask(prompt, max_tokens=6), model="m"):
            seen_active.append(llama.active_generations)
            events.append(event)
        return events

    first, second = await asyncio.gather(run("Name a colour."), run("Name a fruit."))

    for events in (first, second):
        usage, _ = tail(events)
        assert usage.completion_tokens > 0
    assert max(seen_active) == 1


@pytest.mark.asyncio
async def test_json_object_response_format_gives_json(llama: LocalLlama) -> None:
    request = ask(
        'Reply with a JSON object with one key "ok" set to true.',
        max_tokens=40,
        response_format={"type": "json_object"},
    )
    events = await collect(llama, request)

    assert tail(events)[1] == Finish("stop")
    assert isinstance(json.loads(text_of(events)), dict)


@pytest.mark.asyncio
async def test_json_schema_response_format_follows_the_schema(llama: LocalLlama) -> None:
    schema = {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}},
        "required": ["ok"],
        "additionalProperties": False,
    }
    request = ask(
        "Is water wet? Answer in JSON.",
        max_tokens=40,
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
    )
    events = await collect(llama, request)

    answer = json.loads(text_of(events))
    assert set(answer) == {"ok"}
    assert isinstance(answer["ok"], bool)


@pytest.mark.asyncio
async def test_unsupported_response_format_is_rejected(llama: LocalLlama) -> None:
    with pytest.raises(ProviderRejected, match="xml"):
        await collect(llama, ask("Hi", response_format={"type": "xml"}))


@pytest.mark.asyncio
async def test_missing_model_file_is_rejected(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.gguf"
    provider = LocalLlama("local", ProviderConfig(type="local", model_path=str(missing)))

    with pytest.raises(ProviderRejected, match="not found") as caught:
        await collect(provider, ask("Hi"))
    assert str(missing) in str(caught.value)
    # Counting cannot tell; the router estimates and the stream reports the failure.
    assert await provider.count_tokens("Hi", model="m") is None
    await provider.close()


@pytest.mark.asyncio
async def test_corrupt_model_file_is_rejected(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.gguf"
    corrupt.write_bytes(b"GGUF" + b"\x00" * 64)
    provider = LocalLlama("local", ProviderConfig(type="local", model_path=str(corrupt)))

    with pytest.raises(ProviderRejected, match="cannot load"):
        await collect(provider, ask("Hi"))
    await provider.close()


@pytest.mark.asyncio
async def test_close_cancels_a_running_stream() -> None:
    provider = LocalLlama("local", ProviderConfig(type="local"))
    stream = provider.stream(ask(LONG_PROMPT, max_tokens=400), model="m")
    first = await anext(stream)
    assert isinstance(first, TextDelta)

    await provider.close()
    rest = [event async for event in stream]

    usage, finish = tail(rest)
    assert finish == Finish("cancelled")
    assert usage.completion_tokens < 400
    assert provider.active_generations == 0


@pytest.mark.asyncio
async def test_a_prompt_longer_than_the_context_is_rejected() -> None:
    provider = LocalLlama("local", ProviderConfig(type="local", n_ctx=256))
    try:
        with pytest.raises(ProviderRejected, match="context window"):
            await collect(provider, ask("dragon " * 400, max_tokens=4))
        # The failed request gave its slot back.
        _, finish = tail(await collect(provider, ask("Hi", max_tokens=2)))
        assert finish.reason in ("stop", "length")
    finally:
        await provider.close()


@pytest.mark.asyncio
async def test_a_pool_serves_concurrent_streams() -> None:
    provider = LocalLlama("local", ProviderConfig(type="local", concurrency=2))
    try:
        prompts = ["Name a colour.", "Name a fruit.", "Name a city."]
        results = await asyncio.gather(*(collect(provider, ask(p, max_tokens=6)) for p in prompts))
    finally:
        await provider.close()

    for events in results:
        usage, _ = tail(events)
        assert usage.completion_tokens > 0
    assert provider.active_generations == 0


@pytest.mark.asyncio
async def test_raw_prompt_completes_text(llama: LocalLlama) -> None:
    """An instruct-template rendering goes to llama.cpp as raw text, not the chat template."""
    request = ChatRequest(
        messages=[ChatMessage("user", "ignored when a prompt is given")],
        sampling=Sampling(max_tokens=6, temperature=0),
        prompt="The capital of France is",
    )
    events = [event async for event in llama.stream(request, model="smollm2")]
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    usage = next(e for e in events if isinstance(e, Usage))
    assert text.strip()
    counted = await llama.count_tokens("The capital of France is", model="smollm2")
    assert counted is not None
    assert counted <= usage.prompt_tokens <= counted + 1  # the prompt, and BOS if the model has one
    assert isinstance(events[-1], Finish)


@pytest.mark.asyncio
async def test_a_person_preempts_background_work(llama: LocalLlama) -> None:
    background = ChatRequest(
        [ChatMessage("user", LONG_PROMPT)],
        sampling=Sampling(temperature=0.0, max_tokens=300),
        background=True,
    )
    stream = llama.stream(background, model="smollm2-135m")
    assert isinstance(await anext(stream), TextDelta)  # it holds the only slot now

    async def drain() -> None:
        async for _ in stream:
            pass

    drained = asyncio.create_task(drain())
    person = await collect(llama, ask("Hello", max_tokens=4))

    assert text_of(person)
    with pytest.raises(ProviderUnavailable, match="preempted"):
        await drained
