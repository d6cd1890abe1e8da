from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, UTCDateTime
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id


class ChatSummary(Base):
    """A rolling summary of a chat's messages up to and including `covers_up_to_seq`."""

    __tablename__ = "chat_summary"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    chat_id: Mapped[str] = mapped_column(ForeignKey("chat.id", ondelete="CASCADE"), index=True)
    content: Mapped[str] = mapped_column(Text)
    covers_up_to_seq: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
