"""The subscription API's rules: plans, a user's subscription, usage, admin changes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.billing import logic, repository
from cognitia.billing.errors import (
    ManagedByStripe,
    NoSubscription,
    PlanExists,
    PlanNotFound,
    PriceTaken,
    SubscriptionEnded,
    UserNotFound,
)
from cognitia.billing.logic import Limits
from cognitia.billing.quotas import DailyLimit, Quotas
from cognitia.billing.schemas import (
    Counter,
    DayUsage,
    Grants,
    MonthUsage,
    PlanAssign,
    PlanCreate,
    PlanRead,
    PlanUpdate,
    SubscriptionRead,
    UsageRead,
)
from cognitia.models.plan import Plan
from cognitia.models.subscription import Subscription, SubscriptionStatus


async def list_plans(session: AsyncSession, *, public_only: bool) -> Sequence[Plan]:
    return await repository.list_plans(session, public_only=public_only)


async def current(session: AsyncSession, quotas: Quotas, *, user_id: str) -> SubscriptionRead:
    """The plan that applies now, and the subscription behind it (if any)."""
    limits = await quotas.limits(session, user_id)
    plan = await _plan(session, limits.plan_id)
    row = await repository.get_subscription(session, user_id)
    on_default = row is None or row.plan_id is None or not _in_force(row, quotas)
    return SubscriptionRead(
        plan=PlanRead.model_validate(plan),
        on_default_plan=on_default,
        status=row.status if row and row.plan_id else SubscriptionStatus.ACTIVE,
        current_period_end=row.current_period_end if row else None,
        cancel_at_period_end=bool(row and row.cancel_at_period_end),
        billed_by_stripe=row is not None and _billed_by_stripe(row),
        grants=Grants.model_validate(row) if row else Grants(),
    )


def _billed_by_stripe(row: Subscription) -> bool:
    """A paid plan whose Stripe subscription has not ended: the portal is where it changes."""
    return (
        row.plan_id is not None
        and row.stripe_subscription_id is not None
        and row.status != SubscriptionStatus.CANCELED
    )


async def usage(session: AsyncSession, quotas: Quotas, *, user_id: str) -> UsageRead:
    now = quotas.clock()
    limits = await quotas.limits(session, user_id)
    day, month = logic.day(now), logic.month(now)
    spent = await repository.cost_since(session, user_id, logic.month_start(now))
    audio = await quotas.audio_seconds_today(session, user_id)
    messages = await quotas.messages_today(user_id)
    return UsageRead(
        plan_id=limits.plan_id,
        today=DayUsage(
            day=day.key,
            resets_at=day.resets_at,
            messages=Counter(used=messages, limit=limits.messages_per_day),
            audio_minutes=Counter(
                used=None if audio is None else audio / 60, limit=limits.audio_minutes_per_day
            ),
            tool_calls=await _daily(quotas, limits, user_id, "tool_calls_per_day"),
            python_runs=await _daily(quotas, limits, user_id, "python_runs_per_day"),
            tasks=await _daily(quotas, limits, user_id, "tasks_per_day"),
        ),
        month=MonthUsage(
            month=month.key,
            resets_at=month.resets_at,
            cost_cents=Counter(
                used=spent / logic.NANOUSD_PER_CENT, limit=limits.monthly_budget_cents
            ),
        ),
        characters=Counter(
            used=await repository.count_characters(session, user_id), limit=limits.characters
        ),
    )


async def _daily(quotas: Quotas, limits: Limits, user_id: str, limit: DailyLimit) -> Counter:
    used = await quotas.used_today(user_id, limit)
    return Counter(used=used, limit=getattr(limits, limit))


async def cancel(session: AsyncSession, quotas: Quotas, *, user_id: str) -> SubscriptionRead:
    """At the end of the paid period; a plan with no period end (an admin's) ends now."""
    row = await _subscribed(session, quotas, user_id)
    if row.current_period_end is None:
        row.status = SubscriptionStatus.CANCELED
    else:
        row.cancel_at_period_end = True
    await session.flush()
    return await current(session, quotas, user_id=user_id)


async def reactivate(session: AsyncSession, quotas: Quotas, *, user_id: str) -> SubscriptionRead:
    """Undo a cancellation while its period has not ended."""
    row = await repository.get_subscription(session, user_id)
    if row is None or row.plan_id is None:
        raise NoSubscription()
    if not _in_force(row, quotas):
        raise SubscriptionEnded()
    _not_stripes(row)
    row.cancel_at_period_end = False
    await session.flush()
    return await current(session, quotas, user_id=user_id)


async def _subscribed(session: AsyncSession, quotas: Quotas, user_id: str) -> Subscription:
    row = await repository.get_subscription(session, user_id)
    if row is None or row.plan_id is None or not _in_force(row, quotas):
        raise NoSubscription()
    _not_stripes(row)
    return row


def _not_stripes(row: Subscription) -> None:
    """Stripe holds a paid subscription; changed here, Stripe would go on charging."""
    if row.stripe_subscription_id is not None and row.status != SubscriptionStatus.CANCELED:
        raise ManagedByStripe()


def _in_force(row: Subscription, quotas: Quotas) -> bool:
    return logic.subscription_in_force(row, quotas.clock())


async def _plan(session: AsyncSession, plan_id: str) -> Plan:
    plan = await repository.get_plan(session, plan_id)
    if plan is None:
        raise PlanNotFound()
    return plan


async def _row_for(session: AsyncSession, user_id: str) -> Subscription:
    """The user's row, made if missing (another user's id that does not exist: 404)."""
    if await repository.get_user(session, user_id) is None:
        raise UserNotFound()
    row = await repository.get_subscription(session, user_id)
    if row is None:
        row = Subscription(user_id=user_id, plan_id=None)
        repository.add(session, row)
    return row


# -- admin -----------------------------------------------------------------------------


async def assign_plan(
    session: AsyncSession, quotas: Quotas, *, user_id: str, data: PlanAssign
) -> SubscriptionRead:
    """Put the user on a plan (or back on the default), active, with a fresh period."""
    if data.plan_id is not None:
        await _plan(session, data.plan_id)
    row = await _row_for(session, user_id)
    row.plan_id = data.plan_id
    row.status = SubscriptionStatus.ACTIVE
    row.current_period_end = data.current_period_end
    row.cancel_at_period_end = False
    await session.flush()
    return await current(session, quotas, user_id=user_id)


async def set_grants(
    session: AsyncSession, quotas: Quotas, *, user_id: str, data: Grants
) -> SubscriptionRead:
    """Set the extra quota the user has on top of any plan (0 takes a grant away)."""
    row = await _row_for(session, user_id)
    for name, value in data.model_dump().items():
        setattr(row, name, value)
    await session.flush()
    return await current(session, quotas, user_id=user_id)


async def usage_of(session: AsyncSession, quotas: Quotas, *, user_id: str) -> UsageRead:
    if await repository.get_user(session, user_id) is None:
        raise UserNotFound()
    return await usage(session, quotas, user_id=user_id)


async def update_plan(session: AsyncSession, *, plan_id: str, data: PlanUpdate) -> Plan:
    plan = await _plan(session, plan_id)
    await _price_free(session, data.stripe_price_id, plan_id)
    for name, value in data.changes().items():
        setattr(plan, name, value)
    await session.flush()
    return plan


async def create_plan(session: AsyncSession, *, data: PlanCreate) -> Plan:
    if await repository.get_plan(session, data.id) is not None:
        raise PlanExists()
    await _price_free(session, data.stripe_price_id, data.id)
    plan = Plan(**data.model_dump())
    repository.add(session, plan)
    await session.flush()
    return plan


async def _price_free(session: AsyncSession, price_id: str | None, plan_id: str) -> None:
    """One plan per Stripe price: a webhook's price must name one plan."""
    if price_id is None:
        return
    holder = await repository.plan_with_price(session, price_id)
    if holder is not None and holder.id != plan_id:
        raise PriceTaken()
