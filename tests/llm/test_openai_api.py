"""The OpenAI-compatible API (/v1) with the official OpenAI SDK over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import pytest_asyncio
from openai import AsyncOpenAI

from cognitia.app import create_app
from cognitia.runtime import Runtime
from tests.conftest import make_settings
from tests.support.factories import bearer, create_api_key, create_user, login
from tests.support.fake_upstream import FakeUpstream
from tests.support.live import live_server

pytestmark = pytest.mark.asyncio

# httpx gives up after 5 s by default: a wall-clock bound a loaded CI machine can break
# (a login once took longer). This is a hang guard, not a measurement.
HANG_GUARD_SECONDS = 60


@pytest_asyncio.fixture
async def served(
    database_url: str, tmp_path: Path, catalogue_path: Path
) -> AsyncIterator[tuple[str, Runtime]]:
    settings = make_settings(database_url, tmp_path, llm={"catalogue_path": catalogue_path})
    app = create_app(settings)
    async with live_server(app) as url:
        yield url, app.state.runtime


@pytest_asyncio.fixture
async def sdk(served: tuple[str, Runtime]) -> AsyncIterator[AsyncOpenAI]:
    url, runtime = served
    user = await create_user(runtime)
    async with httpx.AsyncClient(base_url=url, timeout=HANG_GUARD_SECONDS) as http:
        tokens = await login(http, user.email)
        key = await create_api_key(http, bearer(tokens["access_token"]), name="sdk")
    client = AsyncOpenAI(base_url=f"{url}/v1", api_key=key["key"], max_retries=0)
    yield client
    await client.close()


async def test_sdk_streams_a_fake_upstream_model_with_usage(
    sdk: AsyncOpenAI, upstream: FakeUpstream
) -> None:
    upstream.script("model-b", reply="Streaming works fine", prompt_tokens=7)
    stream = await sdk.chat.completions.create(
        model="b",
        messages=[{"role": "user", "content": "Say something"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, usage, finish = [], None, None
    async for chunk in stream:
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
            finish = chunk.choices[0].finish_reason or finish
        if chunk.usage:
            usage = chunk.usage
    assert "".join(pieces) == "Streaming works fine"
    assert len([p for p in pieces if p]) == 3, "the reply arrives in several chunks"
    assert finish == "stop"
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (7, 3)
    assert upstream.last("model-b").body["messages"][-1]["content"] == "Say something"


async def test_sdk_streams_from_the_local_default_model(sdk: AsyncOpenAI) -> None:
    stream = await sdk.chat.completions.create(
        model="smollm2-135m",
        messages=[{"role": "user", "content": "Name a colour."}],
        stream=True,
        max_tokens=8,
        temperature=0,
    )
    text = ""
    async for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
    assert text.strip(), "the local model produced no text"


async def test_non_streaming_completion(sdk: AsyncOpenAI, upstream: FakeUpstream) -> None:
    upstream.script("model-a", reply="A whole answer", prompt_tokens=5)
    completion = await sdk.chat.completions.create(
        model="lane/chat", messages=[{"role": "user", "content": "hi"}], max_tokens=50
    )
    assert completion.choices[0].message.content == "A whole answer"
    assert completion.model == "a"
    assert completion.usage is not None
    assert completion.usage.total_tokens == 5 + 3
    sent = upstream.last("model-a").body
    assert sent["max_tokens"] == 50


async def test_fallback_is_visible_in_the_model_field(
    sdk: AsyncOpenAI, upstream: FakeUpstream
) -> None:
    upstream.script("model-a", status=503)
    upstream.script("model-b", reply="from b")
    completion = await sdk.chat.completions.create(
        model="a", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.model == "b"
    assert completion.choices[0].message.content == "from b"


async def test_mid_stream_failure_reaches_the_sdk_after_the_partial_text(
    sdk: AsyncOpenAI, upstream: FakeUpstream
) -> None:
    upstream.script("model-a", reply="one two three four", fail_after=2)
    stream = await sdk.chat.completions.create(
        model="a", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    received: list[str] = []

    async def read_all() -> None:
        async for chunk in stream:
            if chunk.choices:
                received.append(chunk.choices[0].delta.content or "")

    with pytest.raises(openai.APIError):
        await read_all()
    assert "".join(received) == "one two"
    assert upstream.requests_for("model-b") == [], "no silent second answer"


async def test_models_lists_catalogue_and_lanes(sdk: AsyncOpenAI) -> None:
    ids = {model.id async for model in sdk.models.list()}
    assert {"a", "b", "c", "smollm2-135m", "lane/chat", "lane/roleplay"} <= ids


async def test_embeddings_float_and_base64(sdk: AsyncOpenAI) -> None:
    # The SDK asks for base64 by default and decodes it.
    result = await sdk.embeddings.create(model="fake", input=["hello", "world"])
    assert [len(d.embedding) for d in result.data] == [384, 384]
    plain = await sdk.embeddings.create(model="fake", input="hello", encoding_format="float")
    assert plain.data[0].embedding == pytest.approx(result.data[0].embedding, abs=1e-6)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"model": "nope", "messages": [{"role": "user", "content": "x"}]}, 404, "model_not_found"),
        ({"model": "a", "messages": []}, 400, "validation_error"),
        ({"model": "a", "messages": [{"role": "wizard", "content": "x"}]}, 400, "validation_error"),
        (
            {"model": "a", "messages": [{"role": "user", "content": "x"}], "max_tokens": -5},
            400,
            "validation_error",
        ),
        (
            {"model": "a", "messages": [{"role": "user", "content": "x"}], "n": 2},
            400,
            "validation_error",
        ),
        (
            {"model": "a", "messages": [{"role": "user", "content": "x"}], "temperature": 3},
            400,
            "validation_error",
        ),
        (
            {
                "model": "a",
                "messages": [{"role": "user", "content": "x"}],
                "stop": ["1", "2", "3", "4", "5"],
            },
            400,
            "validation_error",
        ),
        (
            {"model": "tiny", "messages": [{"role": "user", "content": "word " * 1000}]},
            400,
            "context_length_exceeded",
        ),
        (
            {"model": "a", "messages": [{"role": "user", "content": "x" * 200_001}]},
            400,
            "message_too_long",
        ),
        ({"messages": [{"role": "user", "content": "x"}]}, 400, "validation_error"),
    ],
    ids=[
        "unknown-model",
        "empty-messages",
        "wrong-role",
        "negative-max-tokens",
        "n",
        "temperature",
        "stops",
        "oversized-prompt",
        "overlong-message",
        "no-model",
    ],
)
async def test_bad_requests_get_openai_shaped_4xx(
    served: tuple[str, Runtime], sdk: AsyncOpenAI, body: dict[str, Any], status: int, code: str
) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url, timeout=HANG_GUARD_SECONDS) as http:
        response = await http.post("/v1/chat/completions", json=body, headers=bearer(sdk.api_key))
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["type"] in {"invalid_request_error"}
    assert error["message"]


async def test_unauthenticated_and_malformed(served: tuple[str, Runtime]) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url, timeout=HANG_GUARD_SECONDS) as http:
        anonymous = await http.get("/v1/models")
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["type"] == "authentication_error"
        broken = await http.post(
            "/v1/chat/completions", content=b"{not json", headers={"Authorization": "Bearer cgk_x"}
        )
        assert broken.status_code in {400, 401}
        assert "error" in broken.json()


async def test_sdk_raises_its_own_error_types(sdk: AsyncOpenAI, upstream: FakeUpstream) -> None:
    with pytest.raises(openai.NotFoundError):
        await sdk.chat.completions.create(
            model="ghost", messages=[{"role": "user", "content": "x"}]
        )
    upstream.script("model-a", status=503)
    upstream.script("model-b", status=503)
    with pytest.raises(openai.InternalServerError):
        await sdk.chat.completions.create(model="a", messages=[{"role": "user", "content": "x"}])
