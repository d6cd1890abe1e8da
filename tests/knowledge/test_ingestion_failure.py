"""A failing ingestion (the embedder answers 503) is visible as failed with its reason,
and a retry once the embedder is back makes the document ready."""

from __future__ import annotations

import httpx
import pytest

from cognitia.retrieval.types import Scope
from cognitia.runtime import Runtime
from tests.knowledge.conftest import EMBEDDER, Account
from tests.knowledge.helpers import (
    assert_error,
    create_character,
    document_url,
    documents_url,
    hits_of,
    settled,
    uploaded,
)
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio


async def test_failure_is_visible_and_retry_makes_it_ready(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, upstream: FakeUpstream
) -> None:
    _, headers = owner
    character_id = await create_character(client, headers)
    upstream.script(EMBEDDER, status=503, message="embeddings are down", times=None)
    created = await uploaded(client, headers, character_id, b"Notes on the migration of eels.")

    failed = await settled(
        client, headers, document_url(character_id, created["id"]), status="failed"
    )
    upstream.reset()  # the embedder is back
    retried = await client.post(
        f"{documents_url(character_id)}/{created['id']}/retry", headers=headers
    )
    ready = await settled(client, headers, document_url(character_id, created["id"]))

    assert failed["error"]
    assert failed["chunk_count"] == 0
    assert retried.status_code == 202, retried.text
    assert retried.json()["status"] == "queued"
    assert retried.json()["error"] is None
    assert ready["chunk_count"] >= 1
    assert await hits_of(runtime, "migration eels", Scope(character_id=character_id), created["id"])


async def test_only_a_failed_document_can_be_retried(
    client: httpx.AsyncClient, owner: Account
) -> None:
    _, headers = owner
    created = await uploaded(client, headers, None, b"Notes on the tides.")
    await settled(client, headers, document_url(None, created["id"]))

    response = await client.post(f"{documents_url(None)}/{created['id']}/retry", headers=headers)

    assert_error(response, 409, "document_not_retryable")
