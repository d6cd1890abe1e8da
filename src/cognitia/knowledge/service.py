"""Documents of a character (managed by its owner) and of a user's own data bank.

`character_id=None` everywhere means the caller's data bank. A character's documents are
its owner's to manage: another user's private character is CharacterNotFound (404), one
they can only see is NotOwner (403), as for every change to a character.

An upload is checked before anything is stored (size, type by content, a text that can be
extracted: a corrupt file or a PDF without text is refused at once), refused when the
same bytes are already in that scope, kept in the blob store, and ingested by a job after
the commit. `replace` swaps a document's file for a new one (re-ingestion); `delete`
removes the row at once, and its chunks and original once that commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.characters import service as characters
from cognitia.config import KnowledgeSettings
from cognitia.db import Database
from cognitia.kit.ids import new_id
from cognitia.knowledge import repository, tasks
from cognitia.knowledge.errors import DocumentNotFound, DocumentNotRetryable, DuplicateDocument
from cognitia.knowledge.extract import extract_blocks
from cognitia.knowledge.formats import CheckedDocument, check_document
from cognitia.models.document import Document, DocumentStatus
from cognitia.models.user import User
from cognitia.storage.ports import BlobStore
from cognitia.storage.tasks import delete_after_commit

MAX_FILENAME_CHARS = 255


@dataclass(frozen=True)
class Upload:
    """A file as received: the client's name and media type are hints, the bytes decide."""

    filename: str | None
    data: bytes
    declared_type: str | None = None


@dataclass(frozen=True)
class Intake:
    """What taking a file in uses: the database (reads outside the request's unit of
    work), the blob store for the original, and the limits."""

    db: Database
    blobs: BlobStore
    settings: KnowledgeSettings


@dataclass(frozen=True)
class DocumentRef:
    """A document by id, in a character (`character_id`) or in the data bank (None)."""

    character_id: str | None
    document_id: str


async def _scope_key(session: AsyncSession, *, user: User, character_id: str | None) -> str:
    if character_id is None:
        return f"user:{user.id}"
    character = await characters.get_owned(session, user=user, character_id=character_id)
    return f"character:{character.id}"


async def _checked(
    settings: KnowledgeSettings, data: bytes, declared_type: str | None
) -> CheckedDocument:
    """The upload's format and checksum, after proving its text can be extracted."""
    limit = settings.max_document_bytes
    # Hashing, decoding and parsing megabytes is CPU work: off the event loop.
    return await asyncio.to_thread(_check_and_extract, data, limit, declared_type)


def _check_and_extract(data: bytes, limit: int, declared_type: str | None) -> CheckedDocument:
    checked = check_document(data, max_bytes=limit, declared_type=declared_type)
    extract_blocks(data, checked.format)
    return checked


async def _refuse_duplicate(
    session: AsyncSession, *, scope_key: str, checked: CheckedDocument
) -> None:
    found = await repository.find_by_checksum(session, scope_key=scope_key, sha256=checked.sha256)
    if found is not None:
        raise DuplicateDocument(
            f"The same file is already here as {found.filename!r} ({found.id})."
        )


async def _store(blobs: BlobStore, *, blob_key: str, data: bytes, checked: CheckedDocument) -> None:
    """Keep the original under a fresh key, before the request's transaction begins: on
    SQLite that transaction holds the write lock, and writing 20 MiB to disk takes a while."""
    await blobs.put(blob_key, data, content_type=checked.media_type)


@asynccontextmanager
async def _dropped_on_error(blobs: BlobStore, blob_key: str) -> AsyncIterator[None]:
    """The stored original goes again if the document is not saved after all."""
    try:
        yield
    except BaseException:
        await blobs.delete(blob_key)
        raise


def _blob_key(document_id: str, checked: CheckedDocument) -> str:
    return f"documents/{document_id}/{new_id()}.{checked.format.value}"


def _clean_name(filename: str | None, checked: CheckedDocument) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:MAX_FILENAME_CHARS] or f"document.{checked.format.value}"


async def upload(
    session: AsyncSession,
    intake: Intake,
    *,
    owner: User,
    character_id: str | None,
    file: Upload,
) -> Document:
    """Accept a file (name, bytes, declared media type) and queue its ingestion.

    `session` must not have begun yet (authenticate with a read session of its own, as
    `Caller` does): the checks and the write of the original run before it takes a lock."""
    async with intake.db.read() as reading:
        scope_key = await _scope_key(reading, user=owner, character_id=character_id)
    checked = await _checked(intake.settings, file.data, file.declared_type)
    document_id = new_id()
    document = Document(
        id=document_id,
        owner_id=owner.id,
        character_id=character_id,
        scope_key=scope_key,
        filename=_clean_name(file.filename, checked),
        content_type=checked.media_type,
        size=checked.size,
        sha256=checked.sha256,
        blob_key=_blob_key(document_id, checked),
        status=DocumentStatus.QUEUED,
        progress=0,
        chunk_count=0,
        attempts=0,
    )
    await _store(intake.blobs, blob_key=document.blob_key, data=file.data, checked=checked)
    async with _dropped_on_error(intake.blobs, document.blob_key):
        await _refuse_duplicate(session, scope_key=scope_key, checked=checked)
        await repository.add(session, document)
    tasks.ingest_after_commit(session, document_id=document.id, blob_key=document.blob_key)
    return document


async def replace(
    session: AsyncSession,
    intake: Intake,
    *,
    owner: User,
    where: DocumentRef,
    file: Upload,
) -> Document:
    """Swap the document's file for a new version and ingest it again (same id); `session`
    as for `upload`."""
    async with intake.db.read() as reading:
        await get(
            reading, owner=owner, character_id=where.character_id, document_id=where.document_id
        )
    checked = await _checked(intake.settings, file.data, file.declared_type)
    blob_key = _blob_key(where.document_id, checked)
    await _store(intake.blobs, blob_key=blob_key, data=file.data, checked=checked)
    async with _dropped_on_error(intake.blobs, blob_key):
        document = await get(
            session, owner=owner, character_id=where.character_id, document_id=where.document_id
        )
        if checked.sha256 != document.sha256:
            await _refuse_duplicate(session, scope_key=document.scope_key, checked=checked)
        delete_after_commit(session, [document.blob_key])
        document.filename = _clean_name(file.filename, checked)
        document.content_type, document.size = checked.media_type, checked.size
        document.sha256, document.blob_key = checked.sha256, blob_key
        _requeue(document)
        await repository.flush_checked(session)
    tasks.ingest_after_commit(session, document_id=document.id, blob_key=document.blob_key)
    return document


def _requeue(document: Document) -> None:
    document.status, document.progress, document.error = DocumentStatus.QUEUED, 0, None
    document.chunk_count = document.attempts = 0


async def list_documents(
    session: AsyncSession, *, owner: User, character_id: str | None
) -> list[Document]:
    """The scope's documents, newest first."""
    scope_key = await _scope_key(session, user=owner, character_id=character_id)
    return await repository.list_in_scope(session, scope_key)


async def get(
    session: AsyncSession, *, owner: User, character_id: str | None, document_id: str
) -> Document:
    """The document in that scope, or DocumentNotFound (404)."""
    scope_key = await _scope_key(session, user=owner, character_id=character_id)
    document = await repository.get_in_scope(session, scope_key=scope_key, document_id=document_id)
    if document is None:
        raise DocumentNotFound()
    return document


async def retry(
    session: AsyncSession, *, owner: User, character_id: str | None, document_id: str
) -> Document:
    """Ingest a failed document again, from the start; DocumentNotRetryable otherwise."""
    document = await get(session, owner=owner, character_id=character_id, document_id=document_id)
    if document.status is not DocumentStatus.FAILED:
        raise DocumentNotRetryable(f"The document is {document.status.value}.")
    _requeue(document)
    await session.flush()
    tasks.ingest_after_commit(session, document_id=document.id, blob_key=document.blob_key)
    return document


async def delete(
    session: AsyncSession, *, owner: User, character_id: str | None, document_id: str
) -> None:
    """The row goes now; its chunks and original once that commits."""
    document = await get(session, owner=owner, character_id=character_id, document_id=document_id)
    delete_after_commit(session, [document.blob_key])
    tasks.forget_after_commit(session, [document.id])
    await repository.delete(session, document)


async def forget_documents_of(session: AsyncSession, *, owner: User) -> None:
    """Before an account is deleted: its documents' chunks and originals go once that commits."""
    found = await repository.owned_by(session, owner.id)
    delete_after_commit(session, [blob_key for _, blob_key in found])
    tasks.forget_after_commit(session, [document_id for document_id, _ in found])


async def forget_documents_of_character(session: AsyncSession, *, character_id: str) -> None:
    """Before a character is deleted: its documents' chunks and originals go after the commit."""
    found = await repository.of_character(session, character_id)
    delete_after_commit(session, [blob_key for _, blob_key in found])
    tasks.forget_after_commit(session, [document_id for document_id, _ in found])
