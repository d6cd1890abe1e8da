"""The embedders: the bundled all-MiniLM-L6-v2 for real, and the OpenAI-compatible one
against the fake upstream (a real HTTP server speaking OpenAI's embeddings protocol)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from cognitia.llm.catalogue import EmbedderConfig, ProviderConfig
from cognitia.llm.embedders.openai_compat import OpenAIEmbedder
from cognitia.llm.ports import ProviderRateLimited, ProviderRejected, ProviderUnavailable
from cognitia.llm.runner.embedding import LocalEmbedder
from tests.support.fake_upstream import FakeUpstream, embedding
from tests.support.net import free_port

SENTENCES = [
    "A cat is sleeping on the sofa.",
    "A kitten naps on the couch.",
    "Quarterly revenue grew by ten percent.",
    "The train to Lyon leaves at noon.",
    "Photosynthesis turns light into chemical energy.",
]


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (norm(a) * norm(b))


# -- local ---------------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module")
async def minilm() -> AsyncIterator[LocalEmbedder]:
    embedder = LocalEmbedder("minilm", EmbedderConfig(type="local", batch_size=2))
    yield embedder
    await embedder.close()


@pytest.mark.asyncio
async def test_local_gives_384_dimensional_unit_vectors(minilm: LocalEmbedder) -> None:
    vectors = await minilm.embed(SENTENCES[:3])

    assert minilm.dimensions == 384
    assert [len(v) for v in vectors] == [384, 384, 384]
    for vector in vectors:
        assert norm(vector) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.asyncio
async def test_local_puts_similar_sentences_closer(minilm: LocalEmbedder) -> None:
    cat, kitten, revenue = await minilm.embed(SENTENCES[:3])

    assert cosine(cat, kitten) > cosine(cat, revenue) + 0.3


@pytest.mark.asyncio
async def test_local_batching_matches_one_by_one(minilm: LocalEmbedder) -> None:
    batched = await minilm.embed(SENTENCES)  # batch_size=2: three batches, the last short
    single = [(await minilm.embed([text]))[0] for text in SENTENCES]

    assert len(batched) == len(SENTENCES)
    for together, alone in zip(batched, single, strict=True):
        assert together == pytest.approx(alone, abs=1e-5)


@pytest.mark.asyncio
async def test_local_embeds_nothing_to_nothing(minilm: LocalEmbedder) -> None:
    assert await minilm.embed([]) == []


@pytest.mark.asyncio
async def test_local_float32_and_int8_share_an_index(minilm: LocalEmbedder) -> None:
    # The default engine is int8; float32 is the numpy pass. Close vectors, not equal ones.
    exact = LocalEmbedder("minilm", EmbedderConfig(type="local", precision="float32"))
    try:
        int8, float32 = await minilm.embed(SENTENCES), await exact.embed(SENTENCES)
    finally:
        await exact.close()

    agreement = [cosine(a, b) for a, b in zip(int8, float32, strict=True)]
    assert min(agreement) > 0.995
    assert max(agreement) < 1 - 1e-7


@pytest.mark.asyncio
async def test_local_rejects_an_unknown_model() -> None:
    embedder = LocalEmbedder("other", EmbedderConfig(type="local", upstream="no-such-model"))

    with pytest.raises(ProviderRejected, match="no-such-model"):
        await embedder.embed(["hello"])


# -- OpenAI-compatible ---------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeUpstream]:
    with FakeUpstream() as server:
        yield server


@pytest.fixture
def upstream(fake_server: FakeUpstream) -> FakeUpstream:
    fake_server.reset()
    return fake_server


def hosted(base_url: str, **embedder: object) -> OpenAIEmbedder:
    provider = ProviderConfig(
        type="openai", base_url=base_url, api_key="sk-test", headers={"X-Org": "cognitia"}
    )
    config = EmbedderConfig.model_validate(
        {"type": "openai", "provider": "hosted", "upstream": "embed-small", **embedder}
    )
    return OpenAIEmbedder("hosted", config, provider)


@pytest.mark.asyncio
async def test_openai_embeds_in_batches(upstream: FakeUpstream) -> None:
    embedder = hosted(upstream.openai_url, batch_size=2)
    try:
        vectors = await embedder.embed(SENTENCES)
    finally:
        await embedder.close()

    assert [r.body["input"] for r in upstream.requests] == [
        SENTENCES[0:2],
        SENTENCES[2:4],
        SENTENCES[4:5],
    ]
    for text, vector in zip(SENTENCES, vectors, strict=True):
        assert vector == pytest.approx(embedding(text, 384))
    request = upstream.last("embed-small")
    assert request.path == "/v1/embeddings"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.headers["x-org"] == "cognitia"
    assert "dimensions" not in request.body


@pytest.mark.asyncio
async def test_openai_asks_for_dimensions_only_when_configured(upstream: FakeUpstream) -> None:
    embedder = hosted(upstream.openai_url, dimensions=64)
    try:
        (vector,) = await embedder.embed(["short vectors"])
    finally:
        await embedder.close()

    assert upstream.last().body["dimensions"] == 64
    assert len(vector) == 64


@pytest.mark.asyncio
async def test_openai_rejects_vectors_of_the_wrong_size(upstream: FakeUpstream) -> None:
    upstream.embedding_dimensions = 16
    embedder = hosted(upstream.openai_url)
    try:
        with pytest.raises(ProviderRejected, match="16-dimensional"):
            await embedder.embed(["hello"])
    finally:
        upstream.embedding_dimensions = 384
        await embedder.close()


@pytest.mark.asyncio
async def test_openai_embeds_nothing_without_a_request(upstream: FakeUpstream) -> None:
    embedder = hosted(upstream.openai_url)
    try:
        assert await embedder.embed([]) == []
    finally:
        await embedder.close()
    assert upstream.requests == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "retry_after", "error"),
    [
        (429, "7", ProviderRateLimited),
        (503, None, ProviderUnavailable),
        (500, None, ProviderUnavailable),
        (400, None, ProviderRejected),
        (401, None, ProviderRejected),
    ],
)
async def test_openai_maps_http_errors(
    upstream: FakeUpstream, status: int, retry_after: str | None, error: type[Exception]
) -> None:
    upstream.script("embed-small", status=status, retry_after=retry_after, message="nope")
    embedder = hosted(upstream.openai_url)
    try:
        with pytest.raises(error, match="nope") as caught:
            await embedder.embed(["hello"])
    finally:
        await embedder.close()

    assert getattr(caught.value, "status", None) == status
    if retry_after is not None:
        assert getattr(caught.value, "retry_after", None) == 7.0


@pytest.mark.asyncio
async def test_openai_unreachable_is_unavailable() -> None:
    embedder = hosted(f"http://127.0.0.1:{free_port()}/v1")
    try:
        with pytest.raises(ProviderUnavailable, match="cannot reach"):
            await embedder.embed(["hello"])
    finally:
        await embedder.close()


@pytest.mark.asyncio
async def test_openai_normalises_what_the_server_returns() -> None:
    # Not every server normalises: a raw transport answers with a vector of length 5.
    def answer(request: httpx.Request) -> httpx.Response:
        data = [{"object": "embedding", "index": 0, "embedding": [3.0, 4.0]}]
        return httpx.Response(200, json={"object": "list", "data": data})

    provider = ProviderConfig(type="openai", base_url="http://upstream.test/v1")
    config = EmbedderConfig(type="openai", provider="raw", upstream="e", dimensions=2)
    embedder = OpenAIEmbedder("raw", config, provider, transport=httpx.MockTransport(answer))
    try:
        assert await embedder.embed(["x"]) == [pytest.approx([0.6, 0.8])]
    finally:
        await embedder.close()
