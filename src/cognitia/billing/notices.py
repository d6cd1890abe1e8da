"""E-mails about paid subscriptions, sent by the daily check (billing/tasks.py): before a
renewal, and when a payment failed (`past_due`). Each is sent once per billing period:
a `subscription_notice` row remembers it, written in the same transaction as the mail's
job, so a check that runs twice, or on two schedulers, sends nothing twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.db import insert_for
from cognitia.mail import service as mail
from cognitia.models.plan import Plan
from cognitia.models.subscription import Subscription, SubscriptionStatus
from cognitia.models.usage_daily import SubscriptionNotice
from cognitia.models.user import User

RENEWAL = "renewal"
PAST_DUE = "past_due"


async def send_due(session: AsyncSession, *, now: datetime, notice_days: int) -> int:
    """Queue every notice due now that was not sent for its period; returns how many."""
    sent = 0
    for subscription, user, plan in await _paid(session):
        kind = _due(subscription, now, notice_days)
        if kind is None:
            continue
        period = _period(subscription)
        if await _remember(session, user.id, kind, period, now):
            subject, body = _message(kind, plan, subscription)
            mail.send_later(session, to=user.email, subject=subject, body=body)
            sent += 1
    return sent


def _due(subscription: Subscription, now: datetime, notice_days: int) -> str | None:
    if subscription.status == SubscriptionStatus.PAST_DUE:
        return PAST_DUE
    end = subscription.current_period_end
    if subscription.status != SubscriptionStatus.ACTIVE or subscription.cancel_at_period_end:
        return None
    if end is not None and now < end <= now + timedelta(days=notice_days):
        return RENEWAL
    return None


def _period(subscription: Subscription) -> str:
    end = subscription.current_period_end
    return end.isoformat() if end is not None else "none"


async def _paid(session: AsyncSession) -> list[tuple[Subscription, User, Plan]]:
    """Subscriptions to a priced plan that are active or past due."""
    query = (
        select(Subscription, User, Plan)
        .join(User, User.id == Subscription.user_id)
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(
            Subscription.status.in_([SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE]),
            Plan.price_cents > 0,
        )
    )
    return [(s, u, p) for s, u, p in (await session.execute(query)).all()]


async def _remember(
    session: AsyncSession, user_id: str, kind: str, period: str, now: datetime
) -> bool:
    """True the first time (user, kind, period) is noted; False once it was sent."""
    insert_fn = insert_for(session)
    values = {"user_id": user_id, "kind": kind, "period": period, "sent_at": now}
    stmt = insert_fn(SubscriptionNotice).values(**values)
    result = await session.execute(
        stmt.on_conflict_do_nothing(index_elements=["user_id", "kind", "period"])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _message(kind: str, plan: Plan, subscription: Subscription) -> tuple[str, str]:
    end = subscription.current_period_end
    when = end.strftime("%Y-%m-%d") if end is not None else "soon"
    if kind == PAST_DUE:
        return (
            f"Payment for your {plan.name} plan failed",
            f"We could not take the payment for your {plan.name} plan. Please update your"
            " payment details to keep it; until then your plan's limits still apply.",
        )
    return (
        f"Your {plan.name} plan renews on {when}",
        f"Your {plan.name} plan renews on {when}. Nothing to do if you want to keep it;"
        " cancel before then from your account page if not.",
    )
