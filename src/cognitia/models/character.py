from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, JSONType, UTCDateTime, str_enum
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id


class Visibility(enum.StrEnum):
    PRIVATE = "private"
    UNLISTED = "unlisted"
    PUBLIC = "public"


class Character(Base):
    """A persona people chat with; the fields follow Character Card V2/V3."""

    __tablename__ = "character"
    __table_args__ = (Index("ix_character_visibility_created", "visibility", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    personality: Mapped[str] = mapped_column(Text, default="")
    scenario: Mapped[str] = mapped_column(Text, default="")
    first_message: Mapped[str] = mapped_column(Text, default="")
    alternate_greetings: Mapped[list[str]] = mapped_column(JSONType, default=list)
    group_only_greetings: Mapped[list[str]] = mapped_column(JSONType, default=list)
    example_dialogue: Mapped[str] = mapped_column(Text, default="")
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    post_history_instructions: Mapped[str] = mapped_column(Text, default="")
    prompt_template: Mapped[str] = mapped_column(String(32), default="chat")
    creator_notes: Mapped[str] = mapped_column(Text, default="")
    creator: Mapped[str] = mapped_column(String(200), default="")
    character_version: Mapped[str] = mapped_column(String(100), default="")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tools: Mapped[list[str]] = mapped_column(JSONType, default=list)  # names (agents/tools)
    # Per-tool policy overrides by the owner: {name: "always" | "ask" | "never"}.
    tool_policies: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    avatar_key: Mapped[str | None] = mapped_column(String(200), default=None)
    avatar_mime: Mapped[str | None] = mapped_column(String(50), default=None)
    voice_model: Mapped[str | None] = mapped_column(String(200), default=None)
    voice_settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    temperature: Mapped[float | None] = mapped_column(Float, default=None)
    top_p: Mapped[float | None] = mapped_column(Float, default=None)
    max_tokens: Mapped[int | None] = mapped_column(Integer, default=None)
    talkativeness: Mapped[float] = mapped_column(Float, default=0.5)
    extensions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Card fields we do not model, kept verbatim so an export gives back what was imported.
    card_extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    lorebook_id: Mapped[str | None] = mapped_column(
        ForeignKey("lorebook.id", ondelete="SET NULL"), default=None
    )
    # Whether the lorebook goes with the card to others: in exports of a public character
    # and readable through /lorebooks. The owner always has it.
    share_lorebook: Mapped[bool] = mapped_column(Boolean, default=False)
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility), default=Visibility.PRIVATE)
    chat_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CharacterTag(Base):
    """One row per tag, lower-cased, so the marketplace can filter by tag on both backends."""

    __tablename__ = "character_tag"

    character_id: Mapped[str] = mapped_column(
        ForeignKey("character.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class VoicePermission(Base):
    """The owner lets another user use the character's voice model."""

    __tablename__ = "voice_permission"

    character_id: Mapped[str] = mapped_column(
        ForeignKey("character.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
