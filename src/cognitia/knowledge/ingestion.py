"""One ingestion of a document: read the original, extract, chunk, index, in short steps.

Each step runs in its own unit of work, so the status and progress are visible while the
job runs. Nothing CPU-bound runs on the event loop: extraction and chunking run in a thread,
and chunks are made, embedded and written a batch at a time (`knowledge.index_batch_size`),
each batch in its own short transaction, so a document at the size limit holds neither
SQLite's write lock nor all its chunks and vectors in memory at once. Every write names
the blob key the job was started for: a document replaced (new file, new key) or deleted
meanwhile is left to the newer job, or to its deletion.

A document that cannot be read (an `InvalidDocument`) fails at once. Any other error
(an embedder that is down, say) is retried by the queue; the reason is shown while it
waits, and the last allowed attempt marks the document failed. `POST .../retry` starts
again from zero.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from typing import Any

from cognitia.config import KnowledgeSettings
from cognitia.db import Database
from cognitia.knowledge import repository
from cognitia.knowledge.chunking import Chunk, iter_chunks
from cognitia.knowledge.extract import Block, extract_blocks
from cognitia.knowledge.formats import DocumentFormat, InvalidDocument
from cognitia.knowledge.repository import Progress
from cognitia.models.document import DocumentStatus
from cognitia.retrieval.service import Retrieval
from cognitia.retrieval.types import ChunkInput, Scope, SourceKind
from cognitia.storage.ports import BlobNotFound, BlobStore

log = logging.getLogger(__name__)

MAX_TRIES = 3
SOURCE_KIND: SourceKind = "document"
# Progress: reading and extracting take up to here; indexing fills the rest.
EXTRACTED = 30
MAX_ERROR_CHARS = 500
# Vectors of the chunk texts seen last, kept so a text repeated later in the document
# (a repetitive one, pages with the same boilerplate) is not embedded again (~3 MB).
REPEATS_KEPT = 256
_FORMATS = {fmt.media_type: fmt for fmt in DocumentFormat}


@dataclass(frozen=True)
class Ports:
    """What an ingestion works with: the database (its status and progress), the blob
    store (the original), the retrieval index (its chunks) and the knowledge settings."""

    db: Database
    blobs: BlobStore
    index: Retrieval
    settings: KnowledgeSettings


class _Superseded(Exception):
    """The document was replaced or deleted while this job ran."""


@dataclass(frozen=True)
class _Work:
    document_id: str
    blob_key: str
    owner_id: str
    character_id: str | None
    filename: str
    format: DocumentFormat
    attempt: int

    @property
    def scope(self) -> Scope:
        if self.character_id is not None:
            return Scope(character_id=self.character_id)
        return Scope(user_id=self.owner_id)


async def ingest(ports: Ports, *, document_id: str, blob_key: str) -> None:
    """Run one attempt; raises only when the queue should try again."""
    work = await _start(ports, document_id, blob_key)
    if work is None:
        return
    try:
        count = await _index(ports, work)
        await _update(ports, work, Progress(100, DocumentStatus.READY, chunk_count=count))
    except _Superseded:
        await _forget_if_deleted(ports, work)
    except InvalidDocument as error:
        await _fail(ports, work, error.detail)
    except Exception as error:
        reason = _reason(error)
        if work.attempt >= MAX_TRIES:
            await _fail(ports, work, reason)
            return
        note = f"Attempt {work.attempt} of {MAX_TRIES} failed ({reason}); trying again."
        await _write(ports, work, Progress(0, DocumentStatus.QUEUED, error=note))
        raise


async def _start(ports: Ports, document_id: str, blob_key: str) -> _Work | None:
    async with ports.db.unit_of_work() as session:
        document = await repository.get(session, document_id)
        if document is None or document.blob_key != blob_key:
            return None  # deleted, or replaced: a newer job has the new file
        if document.status in (DocumentStatus.READY, DocumentStatus.FAILED):
            return None  # a redelivered job that already finished
        document.attempts += 1
        document.status, document.progress, document.error = DocumentStatus.PROCESSING, 5, None
        return _Work(
            document_id=document.id,
            blob_key=blob_key,
            owner_id=document.owner_id,
            character_id=document.character_id,
            filename=document.filename,
            format=_FORMATS[document.content_type],
            attempt=document.attempts,
        )


async def _index(ports: Ports, work: _Work) -> int:
    """Index the document's chunks (replacing any from before); how many there are."""
    try:
        data = await ports.blobs.get(work.blob_key)
    except BlobNotFound:
        raise _Superseded() from None
    settings = ports.settings
    await ports.index.prepare()
    chunks = await asyncio.to_thread(_Chunks.extract, data, work.format, settings)
    del data  # the blocks hold the text now
    await _update(ports, work, Progress(EXTRACTED))
    await ports.index.delete_source(source_kind=SOURCE_KIND, source_id=work.document_id)
    count = 0
    embedded: dict[str, list[float]] = {}
    while batch := await asyncio.to_thread(chunks.take, settings.index_batch_size):
        if len(embedded) > REPEATS_KEPT:
            embedded.clear()
        await ports.index.index([_input(work, c) for c in batch], embedded=embedded)
        count += len(batch)
        await _update(ports, work, Progress(EXTRACTED + int((99 - EXTRACTED) * chunks.done)))
    return count


class _Chunks:
    """A document's chunks, made a batch at a time, in a worker thread: chunking is
    CPU-bound, and a document at the size limit makes tens of thousands of them."""

    def __init__(self, blocks: list[Block], settings: KnowledgeSettings) -> None:
        self._length = max(1, sum(len(block.text) for block in blocks))
        self._done = 0
        self._stream = iter_chunks(
            blocks, max_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap_tokens
        )

    @classmethod
    def extract(cls, data: bytes, fmt: DocumentFormat, settings: KnowledgeSettings) -> _Chunks:
        return cls(extract_blocks(data, fmt), settings)

    def take(self, size: int) -> list[Chunk]:
        batch = list(itertools.islice(self._stream, size))
        self._done += sum(chunk.new_chars for chunk in batch)
        return batch

    @property
    def done(self) -> float:
        """About how much of the text is chunked, 0 to 1."""
        return min(1.0, self._done / self._length)


def _input(work: _Work, chunk: Chunk) -> ChunkInput:
    metadata: dict[str, Any] = {
        "document_id": work.document_id,
        "filename": work.filename,
        "headings": list(chunk.headings),
    }
    if chunk.page_start is not None:
        metadata["page_start"], metadata["page_end"] = chunk.page_start, chunk.page_end
    return ChunkInput(
        text=chunk.text,
        source_kind=SOURCE_KIND,
        source_id=work.document_id,
        scope=work.scope,
        position=chunk.index,
        metadata=metadata,
    )


async def _write(ports: Ports, work: _Work, change: Progress) -> bool:
    async with ports.db.unit_of_work() as session:
        return await repository.update_current(
            session, document_id=work.document_id, blob_key=work.blob_key, change=change
        )


async def _update(ports: Ports, work: _Work, change: Progress) -> None:
    if not await _write(ports, work, change):
        raise _Superseded()


async def _fail(ports: Ports, work: _Work, reason: str) -> None:
    log.info("document ingestion failed", extra={"document_id": work.document_id})
    try:
        await ports.index.delete_source(source_kind=SOURCE_KIND, source_id=work.document_id)
    finally:
        await _write(ports, work, Progress(0, DocumentStatus.FAILED, error=reason, chunk_count=0))


async def _forget_if_deleted(ports: Ports, work: _Work) -> None:
    async with ports.db.unit_of_work() as session:
        gone = await repository.get(session, work.document_id) is None
    if gone:  # chunks written after the deletion's own clean-up ran
        await ports.index.delete_source(source_kind=SOURCE_KIND, source_id=work.document_id)


def _reason(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:MAX_ERROR_CHARS]
