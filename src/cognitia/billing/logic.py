"""Quota maths, no I/O: which plan applies, the limits it gives, when a period resets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cognitia.models.plan import Plan
from cognitia.models.subscription import Subscription, SubscriptionStatus

# The features a plan switches on or off, by their column on `plan`.
FEATURES = ("api_access", "live_calls")
NANOUSD_PER_CENT = 10_000_000


@dataclass(frozen=True)
class Period:
    """A quota period: its key in the counters, and when the next one starts."""

    key: str
    resets_at: datetime

    def seconds_left(self, now: datetime) -> int:
        return max(1, int((self.resets_at - now).total_seconds() + 0.999))


def day(now: datetime) -> Period:
    """Days run from midnight to midnight UTC."""
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return Period(start.date().isoformat(), start + timedelta(days=1))


def month(now: datetime) -> Period:
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return Period(start.strftime("%Y-%m"), following)


def month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def subscription_in_force(subscription: Subscription | None, now: datetime) -> bool:
    """Whether the row's plan applies now: not canceled, not past a period that was
    cancelled at its end, and not past the grace period after a failed payment (a
    past-due row keeps its plan until `grace_until`; then the default plan applies)."""
    if subscription is None or subscription.status == SubscriptionStatus.CANCELED:
        return False
    grace = subscription.grace_until
    if subscription.status == SubscriptionStatus.PAST_DUE and grace is not None and grace <= now:
        return False
    end = subscription.current_period_end
    return not (subscription.cancel_at_period_end and end is not None and end <= now)


def plan_id_for(subscription: Subscription | None, *, default_plan: str, now: datetime) -> str:
    if subscription is not None and subscription_in_force(subscription, now):
        return subscription.plan_id or default_plan
    return default_plan


@dataclass(frozen=True)
class Limits:
    """What one user may do now: the plan's limits plus what an admin granted.
    None means unlimited."""

    plan_id: str
    plan_name: str
    characters: int | None
    messages_per_day: int | None
    audio_minutes_per_day: int | None
    voice_clones: int | None
    concurrent_generations: int | None
    monthly_budget_cents: int | None
    tool_calls_per_day: int | None
    python_runs_per_day: int | None
    tasks_per_day: int | None
    api_access: bool
    live_calls: bool
    models_allowed: list[str] | None

    def has(self, feature: str) -> bool:
        return bool(getattr(self, feature))


def _plus(limit: int | None, extra: int) -> int | None:
    return None if limit is None else limit + extra


def limits_of(plan: Plan, grants: Subscription | None) -> Limits:
    """The plan's limits raised by the admin's grants (kept even on the default plan)."""
    extra_chars = grants.extra_characters if grants else 0
    extra_msgs = grants.extra_messages_per_day if grants else 0
    extra_audio = grants.extra_audio_minutes_per_day if grants else 0
    extra_budget = grants.extra_budget_cents if grants else 0
    return Limits(
        plan_id=plan.id,
        plan_name=plan.name,
        characters=_plus(plan.max_characters, extra_chars),
        messages_per_day=_plus(plan.messages_per_day, extra_msgs),
        audio_minutes_per_day=_plus(plan.audio_minutes_per_day, extra_audio),
        voice_clones=plan.voice_clones,
        concurrent_generations=plan.concurrent_generations,
        monthly_budget_cents=_plus(plan.monthly_budget_cents, extra_budget),
        tool_calls_per_day=plan.tool_calls_per_day,
        python_runs_per_day=plan.python_runs_per_day,
        tasks_per_day=plan.tasks_per_day,
        api_access=plan.api_access,
        live_calls=plan.live_calls,
        models_allowed=[str(m) for m in plan.models_allowed] if plan.models_allowed else None,
    )


def cheapest_with(plans: Iterable[Plan], feature: str) -> Plan | None:
    """The public plan an upgrade to which brings `feature`, first on the pricing page."""
    having = [p for p in plans if p.public and getattr(p, feature)]
    return min(having, key=lambda p: p.position, default=None)


def cheapest_allowing(plans: Iterable[Plan], model: str) -> Plan | None:
    """The first public plan that may use `model` (no list: every model)."""
    allowing = [
        p for p in plans if p.public and (p.models_allowed is None or model in p.models_allowed)
    ]
    return min(allowing, key=lambda p: p.position, default=None)


def cheapest_above(plans: Iterable[Plan], column: str, needed: int) -> Plan | None:
    """The first public plan whose `column` limit is above `needed` (or unlimited)."""
    roomier = [p for p in plans if p.public and _allows(getattr(p, column), needed)]
    return min(roomier, key=lambda p: p.position, default=None)


def _allows(limit: int | None, needed: int) -> bool:
    return limit is None or limit > needed
