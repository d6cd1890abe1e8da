from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, UTCDateTime, str_enum
from cognitia.kit.clock import utcnow


class SubscriptionStatus(enum.StrEnum):
    ACTIVE = "active"
    PAST_DUE = "past_due"  # a payment failed; the plan holds during the grace period
    CANCELED = "canceled"  # ended: the user is on the default plan again


class Subscription(Base):
    """A user's plan; a user without a row is on the default plan (billing.default_plan).

    The `extra_*` columns are quota an admin granted on top of the plan's limits.
    """

    __tablename__ = "subscription"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    # None: the default plan (a row may exist only for an admin's grants).
    plan_id: Mapped[str | None] = mapped_column(
        ForeignKey("plan.id", ondelete="RESTRICT"), index=True, default=None
    )
    status: Mapped[SubscriptionStatus] = mapped_column(
        str_enum(SubscriptionStatus), default=SubscriptionStatus.ACTIVE
    )
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    # Stripe's ids for the paying customer and their subscription (payments on).
    stripe_customer_id: Mapped[str | None] = mapped_column(
        String(255), default=None, unique=True, index=True
    )
    stripe_subscription_id: Mapped[str | None] = mapped_column(
        String(255), default=None, unique=True, index=True
    )
    # After a failed payment the plan holds until then (billing/logic.py).
    grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # `created` of the last Stripe event applied: an older one arriving late changes nothing.
    stripe_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    extra_characters: Mapped[int] = mapped_column(Integer, default=0)
    extra_messages_per_day: Mapped[int] = mapped_column(Integer, default=0)
    extra_audio_minutes_per_day: Mapped[int] = mapped_column(Integer, default=0)
    extra_budget_cents: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class UsageCounter(Base):
    """A quota counter where there is no Redis (billing/providers/database.py): one row
    per user, metric and period (`messages`, `2026-12-06`)."""

    __tablename__ = "usage_counter"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
