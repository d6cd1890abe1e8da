from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, UTCDateTime
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id


class LlmCall(Base):
    """One attempt to get a reply from one model: the unit of usage and cost.

    A request that fell back writes one row per model tried; `fallback_index` is the
    position in the chain (0: the first choice served it).
    """

    __tablename__ = "llm_call"
    __table_args__ = (Index("ix_llm_call_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), default=None
    )
    # Chats and characters arrive later; kept as plain ids so usage outlives them.
    chat_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    character_id: Mapped[str | None] = mapped_column(String(36), default=None)
    lane: Mapped[str | None] = mapped_column(String(32), default=None)
    # The task and step a call worked on (agents/tasks): their costs are sums of these rows.
    task_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    task_step_id: Mapped[str | None] = mapped_column(String(36), default=None)
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    upstream_model: Mapped[str] = mapped_column(String(200))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_nanousd: Mapped[int] = mapped_column(BigInteger, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    ttft_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    outcome: Mapped[str] = mapped_column(String(16))
    fallback_index: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
