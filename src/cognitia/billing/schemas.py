"""Plans, subscriptions and usage as the API shows them (/api/v2/subscription)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cognitia.models.subscription import SubscriptionStatus

PlanSlug = Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,32}$")]
ModelName = Annotated[str, Field(min_length=1, max_length=128)]
Limit = int | None  # None: unlimited
StripePriceId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,255}$")]
_LIMIT = Field(default=None, ge=0, le=2**31 - 2)


class PlanRead(BaseModel):
    """A plan and its limits; null limits are unlimited."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    price_cents: int | None = Field(description="Monthly price in US cents; null: on request.")
    public: bool
    position: int
    max_characters: Limit
    messages_per_day: Limit
    audio_minutes_per_day: Limit
    voice_clones: Limit
    concurrent_generations: Limit
    monthly_budget_cents: Limit = Field(description="Cost budget per month in US cents.")
    tool_calls_per_day: Limit = Field(default=None, description="Tool calls replies make a day.")
    python_runs_per_day: Limit = Field(
        default=None, description="run_python calls a day (each is also a tool call)."
    )
    tasks_per_day: Limit = Field(default=None, description="Tasks started a day.")
    live_calls: bool
    api_access: bool
    models_allowed: list[str] | None = Field(description="Catalogue models; null: all.")
    stripe_price_id: str | None = Field(
        default=None, description="The Stripe price it sells for; null: not for sale."
    )


class _PlanLimits(BaseModel):
    """The limits a new plan or a change may set; null (or left out of a new plan) is
    unlimited."""

    model_config = ConfigDict(extra="forbid")

    price_cents: int | None = Field(default=None, ge=0, le=10_000_000)
    max_characters: Limit = _LIMIT
    messages_per_day: Limit = _LIMIT
    audio_minutes_per_day: Limit = _LIMIT
    voice_clones: Limit = _LIMIT
    concurrent_generations: Limit = _LIMIT
    monthly_budget_cents: Limit = _LIMIT
    tool_calls_per_day: Limit = _LIMIT
    python_runs_per_day: Limit = _LIMIT
    tasks_per_day: Limit = _LIMIT
    models_allowed: list[ModelName] | None = Field(default=None, max_length=200)
    # Not a limit: null takes the plan off sale (payments on, docs/plans.md).
    stripe_price_id: StripePriceId | None = None


class PlanCreate(_PlanLimits):
    """A new plan (an admin's); limits left out are unlimited, features off."""

    id: PlanSlug
    name: str = Field(min_length=1, max_length=100)
    public: bool = True
    position: int = Field(default=100, ge=0, le=10_000)
    live_calls: bool = False
    api_access: bool = False


class PlanUpdate(_PlanLimits):
    """An admin's change to a plan: only the fields given change (null: unlimited)."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    public: bool | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    live_calls: bool | None = None
    api_access: bool | None = None

    def changes(self) -> dict[str, object]:
        """Set fields only; a flag or name sent as null is left alone (they have no 'unlimited')."""
        values = self.model_dump(exclude_unset=True)
        never_null = {"name", "public", "position", "live_calls", "api_access"}
        return {k: v for k, v in values.items() if v is not None or k not in never_null}


class Grants(BaseModel):
    """Quota an admin granted on top of the plan's limits."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")

    extra_characters: int = Field(0, ge=0, le=1_000_000)
    extra_messages_per_day: int = Field(0, ge=0, le=100_000_000)
    extra_audio_minutes_per_day: int = Field(0, ge=0, le=1_000_000)
    extra_budget_cents: int = Field(0, ge=0, le=1_000_000_000)


class SubscriptionRead(BaseModel):
    plan: PlanRead
    on_default_plan: bool = Field(description="No subscription: the server's default plan.")
    status: SubscriptionStatus
    current_period_end: datetime | None
    cancel_at_period_end: bool
    billed_by_stripe: bool = Field(
        description="Paid through Stripe: the billing portal manages it (payments on)."
    )
    grants: Grants


class PlanAssign(BaseModel):
    """An admin puts a user on a plan (payments off: no charge is made)."""

    model_config = ConfigDict(extra="forbid")

    plan_id: PlanSlug | None = Field(description="null: back to the default plan.")
    current_period_end: datetime | None = Field(
        default=None, description="When the plan ends if cancelled; null: no end."
    )


class Counter(BaseModel):
    used: float | None = Field(description="null: not metered on this server yet.")
    limit: int | None = Field(description="null: unlimited.")


class DayUsage(BaseModel):
    day: str
    resets_at: datetime
    messages: Counter
    audio_minutes: Counter
    tool_calls: Counter
    python_runs: Counter
    tasks: Counter


class MonthUsage(BaseModel):
    month: str
    resets_at: datetime
    cost_cents: Counter


class UsageRead(BaseModel):
    """Today's and this month's usage against the plan's limits (days and months in UTC)."""

    plan_id: str
    today: DayUsage
    month: MonthUsage
    characters: Counter
