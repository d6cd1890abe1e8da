"""The SQL of payments: Stripe ids to subscriptions and plans, and the events applied."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.billing import repository as billing
from cognitia.models.plan import Plan
from cognitia.models.stripe_event import StripeEvent
from cognitia.models.subscription import Subscription


async def record_event(session: AsyncSession, *, event_id: str, kind: str) -> bool:
    """Insert the event's row; False when it is there already (a duplicate delivery).

    On PostgreSQL a concurrent delivery of the same event waits here until the first one
    commits, then finds the row: the two never both apply it.
    """
    if await session.get(StripeEvent, event_id) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(StripeEvent(id=event_id, type=kind))
    except IntegrityError:
        return False
    return True


async def plan_by_price(session: AsyncSession, price_id: str | None) -> Plan | None:
    return None if price_id is None else await billing.plan_with_price(session, price_id)


async def by_subscription(session: AsyncSession, subscription_id: str) -> Subscription | None:
    query = select(Subscription).where(Subscription.stripe_subscription_id == subscription_id)
    return await session.scalar(query)


async def by_customer(session: AsyncSession, customer_id: str) -> Subscription | None:
    query = select(Subscription).where(Subscription.stripe_customer_id == customer_id)
    return await session.scalar(query)


async def locked_row(session: AsyncSession, user_id: str) -> Subscription | None:
    """The user's subscription row, made if missing, with the user locked so events for
    them apply one at a time; None when there is no such user."""
    if await billing.get_user(session, user_id) is None:
        return None
    await billing.lock_user(session, user_id)
    row = await session.get(Subscription, user_id, populate_existing=True)
    if row is None:
        row = Subscription(user_id=user_id, plan_id=None)
        billing.add(session, row)
        await session.flush()  # the column defaults, read before anything is set
    return row


async def link_customer(session: AsyncSession, *, user_id: str, customer_id: str) -> str:
    """Keep `customer_id` as the user's customer unless they have one already; the one kept."""
    row = await locked_row(session, user_id)
    assert row is not None  # the caller is signed in as this user
    if row.stripe_customer_id is None:
        row.stripe_customer_id = customer_id
        await session.flush()
    return row.stripe_customer_id
