"""Request and response bodies of the documents API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from cognitia.models.document import DocumentStatus


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    character_id: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    status: DocumentStatus
    progress: int
    error: str | None
    chunk_count: int
    created_at: datetime
    updated_at: datetime


class DocumentList(BaseModel):
    items: list[DocumentRead]
