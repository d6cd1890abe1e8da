from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, JSONType, UTCDateTime, str_enum
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id


class AuthorType(enum.StrEnum):
    USER = "user"
    CHARACTER = "character"
    SYSTEM = "system"


class MessageStatus(enum.StrEnum):
    COMPLETE = "complete"
    STREAMING = "streaming"  # being generated; text so far is saved as it grows
    STOPPED = "stopped"  # ended early by the stop endpoint; what was generated is kept
    ERROR = "error"  # the model failed; partial text kept, `error` says why


class Message(Base):
    """One turn. A character's turn may have several alternatives (swipes); `content`
    mirrors the chosen one so history reads need no join."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("chat_id", "seq"),
        Index("ix_message_chat_seq", "chat_id", "seq"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    chat_id: Mapped[str] = mapped_column(ForeignKey("chat.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    author_type: Mapped[AuthorType] = mapped_column(str_enum(AuthorType))
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    character_id: Mapped[str | None] = mapped_column(
        ForeignKey("character.id", ondelete="SET NULL"), default=None
    )
    # The speaker's name when the message was written (characters get renamed or deleted).
    name: Mapped[str] = mapped_column(String(100), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    swipe_index: Mapped[int] = mapped_column(Integer, default=0)
    swipe_count: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[MessageStatus] = mapped_column(
        str_enum(MessageStatus), default=MessageStatus.COMPLETE
    )
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    usage: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # What the prompt drew on (memories, knowledge chunks): filled by the memory issue.
    context_sources: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # The reply's tool calls in order: {id, name, arguments, result, ok} (docs/tools.md).
    tool_calls: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MessageSwipe(Base):
    """An alternative text of a character's message (regenerate adds one)."""

    __tablename__ = "message_swipe"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(
        ForeignKey("message.id", ondelete="CASCADE"), index=True
    )
    index: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MessageStatus] = mapped_column(
        str_enum(MessageStatus), default=MessageStatus.COMPLETE
    )
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    usage: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
