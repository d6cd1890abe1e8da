"""Background jobs of the knowledge domain: ingesting a document, forgetting its chunks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.jobs.deferred import defer
from cognitia.jobs.registry import job
from cognitia.knowledge import ingestion
from cognitia.retrieval import service as retrieval

if TYPE_CHECKING:
    from cognitia.runtime import Runtime

INGEST = "knowledge.ingest"
FORGET = "knowledge.forget"


def ingest_after_commit(session: AsyncSession, *, document_id: str, blob_key: str) -> None:
    """Ingest the document's current file once the upload (or retry) commits."""
    defer(session, INGEST, document_id=document_id, blob_key=blob_key)


def forget_after_commit(session: AsyncSession, document_ids: Iterable[str]) -> None:
    """Remove the documents' chunks from the index once their deletion commits."""
    wanted = sorted(set(document_ids))
    if wanted:
        defer(session, FORGET, document_ids=wanted)


@job(INGEST, max_tries=ingestion.MAX_TRIES, backoff_seconds=1.0)
async def ingest(runtime: Runtime, payload: dict[str, Any]) -> None:
    await ingestion.ingest(
        runtime, document_id=payload["document_id"], blob_key=payload["blob_key"]
    )


@job(FORGET, max_tries=5)
async def forget(runtime: Runtime, payload: dict[str, Any]) -> None:
    for document_id in payload["document_ids"]:
        await retrieval.delete_source(runtime, source_kind="document", source_id=document_id)
