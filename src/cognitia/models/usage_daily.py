from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, UTCDateTime
from cognitia.kit.clock import utcnow

# The row of a user's day that holds the audio seconds: audio is metered per user and day,
# not per model (audio_usage), so it does not belong to a model's row.
AUDIO_ROW = ""


class UsageDaily(Base):
    """One UTC day of one user's usage of one model, written by the daily metrics job
    (billing/metrics.py) from `llm_call` and `audio_usage`; the admin dashboard reads it.

    `plan_id` is the plan the user was on when the day was aggregated (just after it ended).
    """

    __tablename__ = "usage_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    model: Mapped[str] = mapped_column(String(128), primary_key=True)
    plan_id: Mapped[str | None] = mapped_column(String(32), default=None)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_nanousd: Mapped[int] = mapped_column(BigInteger, default=0)
    audio_seconds: Mapped[float] = mapped_column(Float, default=0.0)


class SubscriptionNotice(Base):
    """An e-mail about a subscription that was sent (billing/notices.py): one per kind
    (`renewal`, `past_due`) and billing period, so a daily check never sends it twice."""

    __tablename__ = "subscription_notice"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    # The period the notice is about: its current_period_end, ISO (`none` when unknown).
    period: Mapped[str] = mapped_column(String(40), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GenerationSlot(Base):
    """A generation running for a user, for the plan's concurrent_generations on servers
    without Redis (billing/providers/slots.py): deleted when the reply ends, ignored once
    `expires_at` passed (a process that died mid-reply)."""

    __tablename__ = "generation_slot"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    slot_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
