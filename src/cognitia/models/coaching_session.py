from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, JSONType, UTCDateTime, str_enum
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id


class SessionStatus(enum.StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class CoachingSession(Base):
    """A coaching session of one person with one character (the coach), agents/sessions.

    The conversation is a 1:1 chat the session owns (`chat_id`): a turn is a chat message,
    so memory, quotas and streaming are the chats'. `notes` is the validated notes JSON
    (agents/sessions/schemas.py SessionNotes); `carried_items` the open action items of
    earlier sessions with the same coach, copied in when this one started.
    """

    __tablename__ = "coaching_session"
    __table_args__ = (Index("ix_coaching_session_user_character", "user_id", "character_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    character_id: Mapped[str] = mapped_column(ForeignKey("character.id", ondelete="CASCADE"))
    chat_id: Mapped[str] = mapped_column(ForeignKey("chat.id", ondelete="CASCADE"), unique=True)
    goal: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus), default=SessionStatus.ACTIVE
    )
    carried_items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    notes: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    # Why notes asked for at the end are missing (notes_invalid, notes_unavailable).
    notes_error: Mapped[str | None] = mapped_column(String(32), default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
