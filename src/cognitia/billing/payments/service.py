"""Checkout and the customer portal. Stripe is called outside any write transaction (a
SQLite writer would hold the database's write lock for the whole call)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from cognitia.billing import repository as billing
from cognitia.billing.errors import PlanNotFound
from cognitia.billing.payments import repository
from cognitia.billing.payments.errors import (
    AlreadyOnPlan,
    NoCustomer,
    PlanNotPurchasable,
)
from cognitia.billing.payments.ports import CheckoutRequest, PaymentGateway
from cognitia.billing.payments.schemas import CheckoutRead
from cognitia.config import StripeSettings
from cognitia.db import Database
from cognitia.models.plan import Plan
from cognitia.models.subscription import Subscription, SubscriptionStatus
from cognitia.models.user import User


@dataclass(frozen=True)
class Payments:
    """What payments need, built once per process when a Stripe key is set."""

    gateway: PaymentGateway
    grace: timedelta
    success_url: str
    cancel_url: str
    return_url: str  # where the portal sends people back

    @classmethod
    def of(cls, gateway: PaymentGateway, stripe: StripeSettings, public_url: str) -> Payments:
        """The web UI's plans page is where Checkout and the portal return by default."""
        plans = f"{public_url.rstrip('/')}/plans"
        return cls(
            gateway=gateway,
            grace=timedelta(days=stripe.grace_days),
            success_url=stripe.success_url or f"{plans}?checkout=success",
            cancel_url=stripe.cancel_url or f"{plans}?checkout=cancel",
            return_url=plans,
        )


async def checkout(db: Database, payments: Payments, *, user: User, plan_id: str) -> CheckoutRead:
    """A Checkout URL for the plan; a paying user's subscription moves to it instead
    (Stripe prorates, and its webhook changes the plan here)."""
    async with db.read() as session:
        plan = await billing.get_plan(session, plan_id)
        row = await billing.get_subscription(session, user.id)
    price = _price_of(plan)
    if row is not None and _live(row):
        assert row.stripe_subscription_id is not None
        if row.plan_id == plan_id:
            raise AlreadyOnPlan()
        await payments.gateway.change_price(
            subscription_id=row.stripe_subscription_id, price_id=price
        )
        return CheckoutRead(url=None, changed=True)
    customer = row.stripe_customer_id if row is not None else None
    if customer is None:
        customer = await payments.gateway.create_customer(user_id=user.id, email=user.email)
        async with db.unit_of_work() as session:
            customer = await repository.link_customer(
                session, user_id=user.id, customer_id=customer
            )
    request = CheckoutRequest(user.id, customer, price, payments.success_url, payments.cancel_url)
    return CheckoutRead(url=await payments.gateway.checkout_url(request), changed=False)


async def portal(db: Database, payments: Payments, *, user_id: str) -> str:
    """The customer portal (invoices, card, cancel) for someone who has subscribed."""
    async with db.read() as session:
        row = await billing.get_subscription(session, user_id)
    if row is None or row.stripe_customer_id is None or row.stripe_subscription_id is None:
        raise NoCustomer()
    return await payments.gateway.portal_url(
        customer_id=row.stripe_customer_id, return_url=payments.return_url
    )


def _price_of(plan: Plan | None) -> str:
    if plan is None:
        raise PlanNotFound()
    if not plan.public or plan.stripe_price_id is None:
        raise PlanNotPurchasable()
    return plan.stripe_price_id


def _live(row: Subscription) -> bool:
    """A Stripe subscription that has not ended (past due included: it can still pay)."""
    return row.stripe_subscription_id is not None and row.status != SubscriptionStatus.CANCELED
