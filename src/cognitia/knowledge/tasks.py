"""Background jobs of the knowledge domain: ingesting a document, forgetting its chunks."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.jobs.deferred import defer
from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import Payload, job
from cognitia.knowledge import ingestion
from cognitia.retrieval.service import Retrieval

INGEST = "knowledge.ingest"
FORGET = "knowledge.forget"


class Ingest(Payload):
    document_id: str
    blob_key: str


class Forget(Payload):
    document_ids: list[str]


def ingest_after_commit(session: AsyncSession, *, document_id: str, blob_key: str) -> None:
    """Ingest the document's current file once the upload (or retry) commits."""
    defer(session, INGEST, Ingest(document_id=document_id, blob_key=blob_key))


def forget_after_commit(session: AsyncSession, document_ids: Iterable[str]) -> None:
    """Remove the documents' chunks from the index once their deletion commits."""
    wanted = sorted(set(document_ids))
    if wanted:
        defer(session, FORGET, Forget(document_ids=wanted))


@job(INGEST, Ingest, max_tries=ingestion.MAX_TRIES, backoff_seconds=1.0)
async def ingest(ctx: JobContext, payload: Ingest) -> None:
    ports = ingestion.Ports(
        db=ctx.db, blobs=ctx.blobs, index=Retrieval.over(ctx), settings=ctx.settings.knowledge
    )
    await ingestion.ingest(ports, document_id=payload.document_id, blob_key=payload.blob_key)


@job(FORGET, Forget, max_tries=5)
async def forget(ctx: JobContext, payload: Forget) -> None:
    index = Retrieval.over(ctx)
    for document_id in payload.document_ids:
        await index.delete_source(source_kind="document", source_id=document_id)
