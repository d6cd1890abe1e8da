from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, JSONType, UTCDateTime, str_enum
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id


class SelectiveLogic(enum.StrEnum):
    AND_ANY = "and_any"
    AND_ALL = "and_all"
    NOT_ANY = "not_any"
    NOT_ALL = "not_all"


class EntryPosition(enum.StrEnum):
    BEFORE_CHAR = "before_char"
    AFTER_CHAR = "after_char"
    AT_DEPTH = "at_depth"


class Lorebook(Base):
    """World info: entries inserted into the prompt when their keys appear in the chat."""

    __tablename__ = "lorebook"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    scan_depth: Mapped[int] = mapped_column(Integer, default=4)
    token_budget: Mapped[int] = mapped_column(Integer, default=512)
    recursive_scanning: Mapped[bool] = mapped_column(Boolean, default=False)
    extensions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LorebookEntry(Base):
    __tablename__ = "lorebook_entry"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    lorebook_id: Mapped[str] = mapped_column(
        ForeignKey("lorebook.id", ondelete="CASCADE"), index=True
    )
    keys: Mapped[list[str]] = mapped_column(JSONType, default=list)
    secondary_keys: Mapped[list[str]] = mapped_column(JSONType, default=list)
    selective_logic: Mapped[SelectiveLogic] = mapped_column(
        str_enum(SelectiveLogic), default=SelectiveLogic.AND_ANY
    )
    content: Mapped[str] = mapped_column(Text, default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    constant: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    use_regex: Mapped[bool] = mapped_column(Boolean, default=False)
    case_sensitive: Mapped[bool | None] = mapped_column(Boolean, default=None)
    insertion_order: Mapped[int] = mapped_column(Integer, default=100)
    position: Mapped[EntryPosition] = mapped_column(
        str_enum(EntryPosition), default=EntryPosition.BEFORE_CHAR
    )
    depth: Mapped[int] = mapped_column(Integer, default=4)
    # The entry's id in the card or World Info file it came from, for round trips.
    source_uid: Mapped[int | None] = mapped_column(Integer, default=None)
    extensions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
