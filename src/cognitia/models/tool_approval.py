from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, UTCDateTime, str_enum
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"  # nobody decided in time, or the reply ended first


class ToolApproval(Base):
    """A tool call with the policy `ask` that waits for a member of the chat (chats/approvals.py).

    The row is the one truth about the decision, shared by every API process: a decision is
    a conditional update from `pending`, so only the first one counts, whichever process
    it reaches; the writer waiting for it is woken over the event bus and reads it here.
    """

    __tablename__ = "tool_approval"
    __table_args__ = (Index("ix_tool_approval_chat_call", "chat_id", "call_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    chat_id: Mapped[str] = mapped_column(ForeignKey("chat.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    call_id: Mapped[str] = mapped_column(String(200))  # the model's id for the call
    name: Mapped[str] = mapped_column(String(100))
    arguments: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ApprovalStatus] = mapped_column(
        str_enum(ApprovalStatus), default=ApprovalStatus.PENDING
    )
    decided_by: Mapped[str | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
