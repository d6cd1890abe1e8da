"""A document at the size limit, one unbroken paragraph, is uploaded and ingested while the
server keeps answering: no event-loop callback runs over the loop-lag guard's threshold
(100 ms of CPU, tests/support/loop_lag.py), and requests polled meanwhile all succeed.

The limit is set to 1 MiB here (20 MiB by default) so the test stays short; the same
document at 20 MiB is measured in benchmarks/ingestion.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from cognitia.config import Settings
from cognitia.retrieval.types import Scope
from cognitia.runtime import Runtime
from tests.knowledge.conftest import Account, knowledge_settings
from tests.knowledge.helpers import document_url, hits_of, settled, uploaded
from tests.support import loop_lag
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

LIMIT = 1024 * 1024
# What the probe sent: "word " repeated, one paragraph without a sentence end.
LIMIT_SIZE_TEXT = (b"word " * (LIMIT // 5))[: LIMIT - 6] + b"cobalt"


@pytest.fixture
def settings(database_url: str, tmp_path: Path, upstream: FakeUpstream) -> Settings:
    return knowledge_settings(
        database_url, tmp_path, upstream, max_document_bytes=LIMIT, index_batch_size=64
    )


async def _poll(client: httpx.AsyncClient, urls: list[str], headers: dict[str, str]) -> list[int]:
    """GET each url in turn until cancelled; the status codes seen."""
    seen: list[int] = []
    try:
        while True:
            for url in urls:
                seen.append((await client.get(url, headers=headers)).status_code)
    except asyncio.CancelledError:
        return seen


async def _warm_up(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """One small document through every route the test uses: the first match of a route
    builds FastAPI's view of it (about 0.1 s of CPU, once per process)."""
    created = await uploaded(client, headers, None, b"A warm-up note on kestrels.")
    await settled(client, headers, document_url(None, created["id"]))
    for url in ("/health", "/api/v2/documents"):
        assert (await client.get(url, headers=headers)).status_code == 200


async def test_a_limit_size_upload_leaves_the_loop_free(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    _, headers = owner
    await _warm_up(client, headers)

    with loop_lag.watch() as report:
        poller = asyncio.create_task(_poll(client, ["/health", "/api/v2/documents"], headers))
        created = await uploaded(client, headers, None, LIMIT_SIZE_TEXT)
        ready = await settled(client, headers, document_url(None, created["id"]))
        poller.cancel()
        statuses = await poller

    assert not report.slow, report.describe()
    assert statuses, "nothing was polled"
    assert set(statuses) == {200}
    assert ready["size"] == LIMIT
    assert ready["chunk_count"] > LIMIT // 4 // 256  # about 4 characters a token
    assert await hits_of(runtime, "cobalt", Scope(user_id=owner[0].id), created["id"])


async def test_a_chunk_text_repeated_in_a_document_is_embedded_once(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, upstream: FakeUpstream
) -> None:
    _, headers = owner
    text = (b"Tide tables for the harbour. " * 4000)[:100_000]

    created = await uploaded(client, headers, None, text)
    ready = await settled(client, headers, document_url(None, created["id"]))

    embedded = [
        text
        for request in upstream.requests
        if request.path.endswith("/embeddings")
        for text in request.body["input"]
    ]
    assert ready["chunk_count"] > 50
    assert len(embedded) == len(set(embedded)) < ready["chunk_count"] // 10
    assert await hits_of(runtime, "harbour tide", Scope(user_id=owner[0].id), created["id"])
