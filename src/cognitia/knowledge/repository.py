"""SQL for documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.kit.clock import utcnow
from cognitia.knowledge.errors import DuplicateDocument
from cognitia.models.document import Document, DocumentStatus


@dataclass(frozen=True)
class Progress:
    """A step of a document's ingestion: how far (0 to 100), and what else changes with
    it (None leaves that column as it is)."""

    progress: int
    status: DocumentStatus | None = None
    error: str | None = None
    chunk_count: int | None = None

    def values(self) -> dict[str, Any]:
        changed = {"status": self.status, "error": self.error, "chunk_count": self.chunk_count}
        return {"progress": self.progress} | {k: v for k, v in changed.items() if v is not None}


async def get(session: AsyncSession, document_id: str) -> Document | None:
    return await session.get(Document, document_id)


async def get_in_scope(
    session: AsyncSession, *, scope_key: str, document_id: str
) -> Document | None:
    document = await session.get(Document, document_id)
    return document if document is not None and document.scope_key == scope_key else None


async def list_in_scope(session: AsyncSession, scope_key: str) -> list[Document]:
    query = (
        select(Document)
        .where(Document.scope_key == scope_key)
        .order_by(Document.created_at.desc(), Document.id)
    )
    return list((await session.scalars(query)).all())


async def find_by_checksum(
    session: AsyncSession, *, scope_key: str, sha256: str
) -> Document | None:
    query = select(Document).where(Document.scope_key == scope_key, Document.sha256 == sha256)
    return (await session.scalars(query)).first()


async def flush_checked(session: AsyncSession) -> None:
    """Flush; a second copy of a file in one scope (a race past the check) is DuplicateDocument."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise DuplicateDocument() from None


async def add(session: AsyncSession, document: Document) -> None:
    session.add(document)
    await flush_checked(session)


async def delete(session: AsyncSession, document: Document) -> None:
    await session.delete(document)
    await session.flush()


async def owned_by(session: AsyncSession, owner_id: str) -> list[tuple[str, str]]:
    """(id, blob_key) of every document `owner_id` owns, their characters' included."""
    query = select(Document.id, Document.blob_key).where(Document.owner_id == owner_id)
    return [(row.id, row.blob_key) for row in await session.execute(query)]


async def of_character(session: AsyncSession, character_id: str) -> list[tuple[str, str]]:
    query = select(Document.id, Document.blob_key).where(Document.character_id == character_id)
    return [(row.id, row.blob_key) for row in await session.execute(query)]


async def update_current(
    session: AsyncSession, *, document_id: str, blob_key: str, change: Progress
) -> bool:
    """Apply `change` if the document still holds `blob_key`; False if it was replaced or
    deleted."""
    result = await session.execute(
        update(Document)
        .where(Document.id == document_id, Document.blob_key == blob_key)
        .values(**change.values(), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
