from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, JSONType, UTCDateTime, str_enum
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id


class FactCategory(enum.StrEnum):
    PREFERENCE = "preference"
    BIOGRAPHY = "biography"
    PLAN = "plan"
    RELATIONSHIP = "relationship"
    OTHER = "other"


class FactStatus(enum.StrEnum):
    ACTIVE = "active"
    SUPERSEDED = "superseded"  # replaced by `superseded_by`; kept for history
    FORGOTTEN = "forgotten"  # the person asked to forget it, or it stopped being true


class MemoryFact(Base):
    """A durable fact a character knows about one person, extracted from their chats."""

    __tablename__ = "memory_fact"
    __table_args__ = (Index("ix_memory_fact_scope_status", "character_id", "user_id", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    character_id: Mapped[str] = mapped_column(
        ForeignKey("character.id", ondelete="CASCADE"), index=True
    )
    content: Mapped[str] = mapped_column(Text)
    category: Mapped[FactCategory] = mapped_column(
        str_enum(FactCategory), default=FactCategory.OTHER
    )
    # A date or period as the model gave it ("2023-05", "last summer"); not parsed.
    happened_at: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[FactStatus] = mapped_column(str_enum(FactStatus), default=FactStatus.ACTIVE)
    superseded_by: Mapped[str | None] = mapped_column(String(36), default=None)
    source_message_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
