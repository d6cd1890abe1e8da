from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, UTCDateTime, str_enum
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id


class TurnStrategy(enum.StrEnum):
    NATURAL = "natural"  # mentions first, then talkativeness; nobody twice in a row
    LIST = "list"  # characters in list order
    POOLED = "pooled"  # each character once before anyone speaks again
    MANUAL = "manual"  # the user picks who speaks


class Chat(Base):
    __tablename__ = "chat"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    strategy: Mapped[TurnStrategy] = mapped_column(
        str_enum(TurnStrategy), default=TurnStrategy.NATURAL
    )
    # Replies characters add on their own after one user message (group chats).
    auto_turns: Mapped[int] = mapped_column(Integer, default=0)
    persona_id: Mapped[str | None] = mapped_column(
        ForeignKey("persona.id", ondelete="SET NULL"), default=None
    )
    # Messages are numbered per chat (allocated by incrementing this under the row lock).
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    branched_from_message_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # Set when what the chat belongs to has ended (a coaching session): no new turns,
    # by any path (messages, regenerate, continue, a live call), only reading.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChatCharacter(Base):
    __tablename__ = "chat_character"

    chat_id: Mapped[str] = mapped_column(
        ForeignKey("chat.id", ondelete="CASCADE"), primary_key=True
    )
    character_id: Mapped[str] = mapped_column(
        ForeignKey("character.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatParticipant(Base):
    """A person in a chat. The owner is a participant too."""

    __tablename__ = "chat_participant"

    chat_id: Mapped[str] = mapped_column(
        ForeignKey("chat.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # Unread = messages with seq above this.
    last_read_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # The person lets the characters draw on their private memory, data bank and persona
    # in this chat although others are in it (docs/security.md, shared chats).
    share_private: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatLorebook(Base):
    """A standalone lorebook attached to a chat."""

    __tablename__ = "chat_lorebook"

    chat_id: Mapped[str] = mapped_column(
        ForeignKey("chat.id", ondelete="CASCADE"), primary_key=True
    )
    lorebook_id: Mapped[str] = mapped_column(
        ForeignKey("lorebook.id", ondelete="CASCADE"), primary_key=True
    )
