"""Stripe's webhook events applied to subscriptions (docs/plans.md, "Payments").

Each event is applied at most once: its `stripe_event` row is inserted in the transaction
that applies it. Events about a subscription are applied in order: one whose `created` is
before the last applied (`subscription.stripe_event_at`) changes nothing. Stripe sends an
event again until it is answered 2xx, so events that name no known user are answered
200 too, and logged.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.billing.payments import events, repository
from cognitia.billing.payments.events import PaymentEvent
from cognitia.models.subscription import Subscription, SubscriptionStatus

log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # applied before
    STALE = "stale"  # older than the last event applied to the subscription
    IGNORED = "ignored"  # a type or object we do not act on, or a second subscription
    UNKNOWN = "unknown_customer"  # names no user of ours


Handler = Callable[[AsyncSession, PaymentEvent, timedelta], Awaitable[Outcome]]


async def apply(session: AsyncSession, event: PaymentEvent, *, grace: timedelta) -> Outcome:
    """Apply one verified event in the caller's unit of work."""
    handler = HANDLERS.get(event.type)
    if handler is None:
        return Outcome.IGNORED
    if not await repository.record_event(session, event_id=event.id, kind=event.type):
        return Outcome.DUPLICATE
    outcome = await handler(session, event, grace)
    level = logging.WARNING if outcome is Outcome.UNKNOWN else logging.INFO
    log.log(
        level, "stripe event", extra={"event": event.id, "type": event.type, "outcome": outcome}
    )
    await session.flush()
    return outcome


async def _row(
    session: AsyncSession, subscription_id: str | None, customer_id: str | None, user_id: str | None
) -> Subscription | Outcome:
    """The subscription row an event is about, locked: by subscription, customer, or the
    user id our Checkout put in the metadata (the first event may come before any link)."""
    found = await repository.by_subscription(session, subscription_id) if subscription_id else None
    if found is None and customer_id:
        found = await repository.by_customer(session, customer_id)
    owner = found.user_id if found is not None else user_id
    row = await repository.locked_row(session, owner) if owner else None
    if row is None:
        return Outcome.UNKNOWN
    if not _may_link(row, subscription_id):
        return Outcome.IGNORED
    if subscription_id:
        row.stripe_subscription_id = subscription_id
    if customer_id and row.stripe_customer_id is None:
        row.stripe_customer_id = customer_id
    return row


def _may_link(row: Subscription, subscription_id: str | None) -> bool:
    """A user has one live subscription: another is taken on only once theirs ended."""
    current = row.stripe_subscription_id
    if subscription_id is None or current in (None, subscription_id):
        return True
    if row.status == SubscriptionStatus.CANCELED:
        return True
    log.warning("stripe event for a second subscription", extra={"user_id": row.user_id})
    return False


def _stale(row: Subscription, event: PaymentEvent) -> bool:
    return row.stripe_event_at is not None and event.created < row.stripe_event_at


async def _ordered(
    session: AsyncSession,
    event: PaymentEvent,
    ids: tuple[str | None, str | None, str | None],
) -> Subscription | Outcome:
    """The row to change, or why nothing changes; the row's event time moves on."""
    row = await _row(session, *ids)
    if isinstance(row, Outcome):
        return row
    if _stale(row, event):
        return Outcome.STALE
    row.stripe_event_at = event.created
    return row


async def _set_plan(session: AsyncSession, row: Subscription, price_id: str | None) -> None:
    plan = await repository.plan_by_price(session, price_id)
    if plan is not None:
        row.plan_id = plan.id
    elif price_id is not None:
        log.warning("stripe price of no plan", extra={"price": price_id, "user_id": row.user_id})


def _set_status(
    row: Subscription, status: SubscriptionStatus, grace_from: PaymentEvent, grace: timedelta
) -> None:
    """Past due starts the grace period (once: retries do not extend it); anything else
    ends it."""
    row.status = status
    if status != SubscriptionStatus.PAST_DUE:
        row.grace_until = None
    elif row.grace_until is None:
        row.grace_until = grace_from.created + grace


async def checkout_completed(
    session: AsyncSession, event: PaymentEvent, grace: timedelta
) -> Outcome:
    """Links the customer and subscription to the user; the plan comes with the
    subscription's own events (this one carries no price)."""
    link = events.checkout_link(event.object)
    if event.object.get("mode") != "subscription" or link.subscription_id is None:
        return Outcome.IGNORED
    row = await _row(session, link.subscription_id, link.customer_id, link.user_id)
    return row if isinstance(row, Outcome) else Outcome.APPLIED


async def subscription_changed(
    session: AsyncSession, event: PaymentEvent, grace: timedelta
) -> Outcome:
    """Created or updated: plan (from the price), status, period, cancellation."""
    state = events.subscription_state(event.object)
    ids = (state.subscription_id, state.customer_id, state.user_id)
    row = await _ordered(session, event, ids)
    if isinstance(row, Outcome):
        return row
    if state.status is None:  # incomplete: nothing paid yet, nothing granted
        return Outcome.APPLIED
    await _set_plan(session, row, state.price_id)
    _set_status(row, state.status, event, grace)
    row.current_period_end = state.current_period_end
    row.cancel_at_period_end = state.cancel_at_period_end
    return Outcome.APPLIED


async def subscription_deleted(
    session: AsyncSession, event: PaymentEvent, grace: timedelta
) -> Outcome:
    """Ended: back to the default plan."""
    state = events.subscription_state(event.object)
    row = await _ordered(session, event, (state.subscription_id, state.customer_id, None))
    if isinstance(row, Outcome):
        return row
    row.plan_id = None
    _set_status(row, SubscriptionStatus.CANCELED, event, grace)
    row.cancel_at_period_end = False
    return Outcome.APPLIED


async def invoice_paid(session: AsyncSession, event: PaymentEvent, grace: timedelta) -> Outcome:
    """A renewal (or the first payment): active, the new period, no grace."""
    invoice = events.invoice_outcome(event.object)
    if invoice.subscription_id is None:
        return Outcome.IGNORED  # a one-off invoice
    row = await _ordered(session, event, (invoice.subscription_id, invoice.customer_id, None))
    if isinstance(row, Outcome):
        return row
    # The plan too: this event may overtake the subscription's own, which is then stale.
    await _set_plan(session, row, invoice.price_id)
    _set_status(row, SubscriptionStatus.ACTIVE, event, grace)
    if invoice.period_end is not None:
        row.current_period_end = invoice.period_end
    return Outcome.APPLIED


async def payment_failed(session: AsyncSession, event: PaymentEvent, grace: timedelta) -> Outcome:
    """Past due: the plan holds for the grace period, then the default plan applies."""
    invoice = events.invoice_outcome(event.object)
    if invoice.subscription_id is None:
        return Outcome.IGNORED
    row = await _ordered(session, event, (invoice.subscription_id, invoice.customer_id, None))
    if isinstance(row, Outcome):
        return row
    if row.status != SubscriptionStatus.CANCELED:
        _set_status(row, SubscriptionStatus.PAST_DUE, event, grace)
    return Outcome.APPLIED


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": checkout_completed,
    "customer.subscription.created": subscription_changed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_deleted,
    "invoice.paid": invoice_paid,
    "invoice.payment_failed": payment_failed,
}
