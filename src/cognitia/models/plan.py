from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, JSONType, UTCDateTime
from cognitia.kit.clock import utcnow


class Plan(Base):
    """A plan's price and limits (docs/plans.md). A limit of None means unlimited.

    Plans are data: seeded by migrations 0010 and 0020, edited by admins. The id is a short slug
    (`free`, `pro`) because operators name plans in settings (billing.default_plan).
    """

    __tablename__ = "plan"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Monthly price in US cents, shown on the pricing page; None: "contact us".
    price_cents: Mapped[int | None] = mapped_column(Integer, default=None)
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # listed in GET /plans
    position: Mapped[int] = mapped_column(Integer, default=0)  # order on the pricing page
    max_characters: Mapped[int | None] = mapped_column(Integer, default=None)
    messages_per_day: Mapped[int | None] = mapped_column(Integer, default=None)
    audio_minutes_per_day: Mapped[int | None] = mapped_column(Integer, default=None)
    voice_clones: Mapped[int | None] = mapped_column(Integer, default=None)
    concurrent_generations: Mapped[int | None] = mapped_column(Integer, default=None)
    monthly_budget_cents: Mapped[int | None] = mapped_column(Integer, default=None)
    # Tools a reply may call a day, Python runs in the sandbox a day (each also a tool
    # call), and tasks a day (agents' tasks).
    tool_calls_per_day: Mapped[int | None] = mapped_column(Integer, default=None)
    python_runs_per_day: Mapped[int | None] = mapped_column(Integer, default=None)
    tasks_per_day: Mapped[int | None] = mapped_column(Integer, default=None)
    live_calls: Mapped[bool] = mapped_column(Boolean, default=False)
    api_access: Mapped[bool] = mapped_column(Boolean, default=False)
    # Catalogue model names the plan may use; None: every model.
    models_allowed: Mapped[list[Any] | None] = mapped_column(JSONType, default=None)
    # The Stripe price Checkout sells this plan with; None: not for sale (payments on).
    stripe_price_id: Mapped[str | None] = mapped_column(
        String(255), default=None, unique=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
