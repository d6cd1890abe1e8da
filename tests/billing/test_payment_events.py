"""Stripe's objects read in both of its API's shapes: the current one (period on the
subscription's item, the invoice's subscription under `parent`, a line's price under
`pricing`) and the one before 2025-03-31 (all of them at the top)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cognitia.billing.payments.errors import InvalidPayload
from cognitia.billing.payments.events import event_from, invoice_outcome, subscription_state
from cognitia.models.subscription import SubscriptionStatus
from tests.support.fake_stripe import invoice, subscription

END = 1_900_000_000
WHEN = datetime.fromtimestamp(END, UTC)


def test_a_subscription_in_the_current_shape() -> None:
    state = subscription_state(
        subscription("sub_1", customer="cus_1", price="price_pro", status="trialing", user_id="u1")
    )

    assert (state.subscription_id, state.customer_id, state.user_id) == ("sub_1", "cus_1", "u1")
    assert (state.status, state.price_id) == (SubscriptionStatus.ACTIVE, "price_pro")
    assert (state.current_period_end, state.cancel_at_period_end) == (WHEN, False)


def test_a_subscription_in_the_older_shape_with_an_expanded_customer() -> None:
    state = subscription_state(
        {
            "id": "sub_1",
            "customer": {"id": "cus_1", "object": "customer"},
            "status": "unpaid",
            "current_period_end": END,
            "cancel_at_period_end": True,
            "items": {"data": [{"price": {"id": "price_basic"}}]},
        }
    )

    assert (state.customer_id, state.status) == ("cus_1", SubscriptionStatus.PAST_DUE)
    assert (state.price_id, state.current_period_end, state.cancel_at_period_end) == (
        "price_basic",
        WHEN,
        True,
    )


@pytest.mark.parametrize(
    ("status", "ours"),
    [
        ("past_due", SubscriptionStatus.PAST_DUE),
        ("canceled", SubscriptionStatus.CANCELED),
        ("incomplete_expired", SubscriptionStatus.CANCELED),
        ("paused", SubscriptionStatus.CANCELED),
        ("incomplete", None),
        ("something_new", None),
    ],
)
def test_stripes_statuses(status: str, ours: SubscriptionStatus | None) -> None:
    state = subscription_state(subscription("sub_1", customer="c", price="p", status=status))

    assert state.status == ours


def test_an_invoice_in_the_current_shape_names_the_plan_line_not_the_proration() -> None:
    outcome = invoice_outcome(invoice(customer="cus_1", subscription_id="sub_1", price="price_pro"))

    assert (outcome.subscription_id, outcome.customer_id) == ("sub_1", "cus_1")
    assert (outcome.price_id, outcome.period_end) == ("price_pro", WHEN)


def test_an_invoice_in_the_older_shape() -> None:
    lines = [
        {"proration": True, "price": {"id": "price_old"}, "period": {"end": END}},
        {"proration": False, "price": {"id": "price_pro"}, "period": {"end": END}},
    ]
    outcome = invoice_outcome(
        {"customer": "cus_1", "subscription": "sub_1", "lines": {"data": lines}}
    )

    assert (outcome.subscription_id, outcome.price_id, outcome.period_end) == (
        "sub_1",
        "price_pro",
        WHEN,
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"id": "evt_1", "type": "invoice.paid", "created": 1, "data": {}},
        {"id": "evt_1", "type": "invoice.paid", "created": "1", "data": {"object": {}}},
        {"id": "evt_1", "type": "invoice.paid", "created": True, "data": {"object": {}}},
        {"id": "evt_1", "type": "invoice.paid", "created": 10**20, "data": {"object": {}}},
        {"id": 1, "type": "invoice.paid", "created": 1, "data": {"object": {}}},
    ],
)
def test_a_body_that_is_not_an_event(body: dict[str, object]) -> None:
    with pytest.raises(InvalidPayload):
        event_from(body)


def test_a_subscription_without_an_id() -> None:
    with pytest.raises(InvalidPayload):
        subscription_state({"object": "subscription"})
