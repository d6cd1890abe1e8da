"""Stripe's webhook objects read into what the project uses, no I/O.

Both shapes of Stripe's API are read: before 2025-03-31 a subscription's period end and an
invoice's subscription sat at the top; since then they are on the subscription's items and
under the invoice's `parent` (the SDK's pinned version sends the newer shape).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cognitia.billing.payments.errors import InvalidPayload
from cognitia.models.subscription import SubscriptionStatus

Json = Mapping[str, Any]

# Stripe's subscription statuses; `incomplete` (the first payment not made yet) is None:
# it grants nothing and takes nothing away.
_STATUSES: dict[str, SubscriptionStatus | None] = {
    "active": SubscriptionStatus.ACTIVE,
    "trialing": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.PAST_DUE,
    "canceled": SubscriptionStatus.CANCELED,
    "incomplete_expired": SubscriptionStatus.CANCELED,
    "paused": SubscriptionStatus.CANCELED,
    "incomplete": None,
}


@dataclass(frozen=True)
class PaymentEvent:
    """A verified webhook event: its id, type, `created` and the object it carries."""

    id: str
    type: str
    created: datetime
    object: Json


@dataclass(frozen=True)
class CheckoutLink:
    """checkout.session.completed: the customer and subscription a user just paid for."""

    user_id: str | None
    customer_id: str | None
    subscription_id: str | None


@dataclass(frozen=True)
class SubscriptionState:
    """customer.subscription.*: the subscription as Stripe holds it now."""

    subscription_id: str
    customer_id: str | None
    user_id: str | None
    status: SubscriptionStatus | None
    price_id: str | None
    current_period_end: datetime | None
    cancel_at_period_end: bool


@dataclass(frozen=True)
class InvoiceOutcome:
    """invoice.paid / invoice.payment_failed for a subscription's invoice."""

    subscription_id: str | None
    customer_id: str | None
    price_id: str | None
    period_end: datetime | None


def event_from(body: Json) -> PaymentEvent:
    """The event in a verified webhook body; InvalidPayload when it is not one."""
    data = body.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    created = body.get("created")
    event_id, kind = body.get("id"), body.get("type")
    if not (isinstance(event_id, str) and isinstance(kind, str) and isinstance(obj, Mapping)):
        raise InvalidPayload()
    when = _time(created)
    if when is None:
        raise InvalidPayload()
    return PaymentEvent(event_id, kind, when, obj)


def checkout_link(obj: Json) -> CheckoutLink:
    metadata = _map(obj.get("metadata"))
    user = obj.get("client_reference_id") or metadata.get("user_id")
    return CheckoutLink(
        user_id=user if isinstance(user, str) else None,
        customer_id=_id(obj.get("customer")),
        subscription_id=_id(obj.get("subscription")),
    )


def subscription_state(obj: Json) -> SubscriptionState:
    subscription_id = _id(obj.get("id"))
    if subscription_id is None:
        raise InvalidPayload("The subscription has no id.")
    item = _first(_map(obj.get("items")).get("data"))
    end = item.get("current_period_end", obj.get("current_period_end"))
    user = _map(obj.get("metadata")).get("user_id")
    return SubscriptionState(
        subscription_id=subscription_id,
        customer_id=_id(obj.get("customer")),
        user_id=user if isinstance(user, str) else None,
        status=_STATUSES.get(str(obj.get("status"))),
        price_id=_id(item.get("price")),
        current_period_end=_time(end),
        cancel_at_period_end=obj.get("cancel_at_period_end") is True,
    )


def invoice_outcome(obj: Json) -> InvoiceOutcome:
    parent = _map(_map(obj.get("parent")).get("subscription_details"))
    subscription = parent.get("subscription", obj.get("subscription"))
    line = _plan_line(_map(obj.get("lines")).get("data"))
    return InvoiceOutcome(
        subscription_id=_id(subscription),
        customer_id=_id(obj.get("customer")),
        price_id=_line_price(line),
        period_end=_time(_map(line.get("period")).get("end")),
    )


def _plan_line(lines: object) -> Json:
    """The invoice's line for the plan itself (not a proration), the last one if several."""
    found: Json = {}
    for line in lines if isinstance(lines, list) else []:
        line = _map(line)
        details = _map(_map(line.get("parent")).get("subscription_item_details"))
        if not details.get("proration", line.get("proration", False)):
            found = line
    return found


def _line_price(line: Json) -> str | None:
    pricing = _map(_map(line.get("pricing")).get("price_details"))
    return _id(pricing.get("price", line.get("price")))


def _id(value: object) -> str | None:
    """An id, whether Stripe sent it alone or the object expanded."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _map(value: object) -> Json:
    return value if isinstance(value, Mapping) else {}


def _first(items: object) -> Json:
    return _map(items[0]) if isinstance(items, list) and items else {}


def _time(value: object) -> datetime | None:
    """A Unix time as a datetime; None when it is missing or not one."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**37:
        return datetime.fromtimestamp(value, UTC)
    return None
