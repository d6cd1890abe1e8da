from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base


class AudioUsage(Base):
    """Seconds of audio synthesised and transcribed for one user on one UTC day: what voice
    quotas are counted in. One row per (user, day), incremented in place (voice/repository.py)."""

    __tablename__ = "audio_usage"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    synthesized_s: Mapped[float] = mapped_column(Float, default=0.0)
    transcribed_s: Mapped[float] = mapped_column(Float, default=0.0)
