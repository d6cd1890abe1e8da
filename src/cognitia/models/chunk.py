from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, JSONType, UTCDateTime
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id


class Chunk(Base):
    """A piece of text that retrieval finds: part of a document, a message, a memory.

    `seq` is the integer key the search indexes point at (FTS5 and sqlite-vec rowids;
    on SQLite it is the rowid itself, so VACUUM never renumbers it). The embedding
    (a float32 blob on SQLite, `vector(384)` on PostgreSQL) and the PostgreSQL `tsv`
    column are written and read by SQL in the retrieval domain only, so they are not
    mapped here. See docs/retrieval.md.
    """

    __tablename__ = "chunk"
    __table_args__ = (
        Index("ix_chunk_scope", "character_id", "user_id", "chat_id"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(36), index=True)
    character_id: Mapped[str | None] = mapped_column(String(36), default=None)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), default=None, index=True
    )
    chat_id: Mapped[str | None] = mapped_column(String(36), default=None)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    token_count: Mapped[int] = mapped_column(Integer, default=0)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    embedding_model: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
