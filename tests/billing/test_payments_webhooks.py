"""Stripe's webhook, signed with the real scheme: every event type the project handles,
duplicates, out-of-order delivery, bad and stale signatures, and the grace period after a
failed payment (on the quota clock the test sets)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cognitia.models.stripe_event import StripeEvent
from tests.billing.conftest import WEBHOOK_SECRET
from tests.billing.stripe_helpers import (
    PERIOD_END,
    T0,
    WEBHOOK,
    App,
    Clock,
    applied,
    current,
    customer,
    deliver,
    sub,
)
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_stripe import (
    checkout_session,
    event,
    invoice,
    signature,
    signed,
    subscription,
)

pytestmark = pytest.mark.asyncio


async def test_checkout_then_subscription_created_puts_the_user_on_the_plan(
    stripe_app: App,
) -> None:
    client = stripe_app[1]
    user, headers = await user_with_token(runtime_of(stripe_app[0]), client)
    session = checkout_session(user_id=user.id, customer="cus_new", subscription_id="sub_new")
    created = subscription("sub_new", customer="cus_new", price="price_pro", period_end=PERIOD_END)

    linked = await applied(client, event("checkout.session.completed", session, created=T0))
    outcome = await applied(client, event("customer.subscription.created", created, created=T0))

    assert (linked, outcome) == ("applied", "applied")
    now = await current(stripe_app, headers)
    assert (now["plan"]["id"], now["on_default_plan"], now["status"]) == ("pro", False, "active")
    assert now["current_period_end"] == "2027-01-01T00:00:00Z"


async def test_the_subscription_event_may_come_first_metadata_names_the_user(
    stripe_app: App,
) -> None:
    client = stripe_app[1]
    user, headers = await user_with_token(runtime_of(stripe_app[0]), client)

    outcome = await applied(
        client, event("customer.subscription.created", sub(user.id), created=T0)
    )

    assert outcome == "applied"
    assert (await current(stripe_app, headers))["plan"]["id"] == "pro"


async def test_an_incomplete_subscription_grants_nothing(stripe_app: App) -> None:
    user_id, headers = await customer(stripe_app)
    body = event("customer.subscription.created", sub(user_id, status="incomplete"), created=T0)

    assert await applied(stripe_app[1], body) == "applied"
    assert (await current(stripe_app, headers))["plan"]["id"] == "free"


async def test_a_plan_change_and_a_cancellation_at_period_end(stripe_app: App) -> None:
    user_id, headers = await customer(stripe_app)
    client = stripe_app[1]
    await applied(client, event("customer.subscription.created", sub(user_id), created=T0))

    await applied(
        client, event("customer.subscription.updated", sub(user_id, "price_basic"), created=T0 + 60)
    )
    changed = await current(stripe_app, headers)
    ending = sub(user_id, "price_basic", cancel_at_period_end=True)
    await applied(client, event("customer.subscription.updated", ending, created=T0 + 120))
    cancelling = await current(stripe_app, headers)

    assert changed["plan"]["id"] == "basic"
    assert (cancelling["plan"]["id"], cancelling["cancel_at_period_end"]) == ("basic", True)


async def test_deleted_puts_the_user_back_on_the_default_plan(stripe_app: App) -> None:
    user_id, headers = await customer(stripe_app)
    client = stripe_app[1]
    await applied(client, event("customer.subscription.created", sub(user_id), created=T0))

    ended = sub(user_id, status="canceled")
    outcome = await applied(client, event("customer.subscription.deleted", ended, created=T0 + 60))

    now = await current(stripe_app, headers)
    assert outcome == "applied"
    assert (now["plan"]["id"], now["on_default_plan"]) == ("free", True)


async def test_a_failed_payment_keeps_the_plan_for_the_grace_period_then_the_default(
    stripe_app: App,
) -> None:
    user_id, headers = await customer(stripe_app)
    client, runtime = stripe_app[1], runtime_of(stripe_app[0])
    await applied(client, event("customer.subscription.created", sub(user_id), created=T0))
    failed = invoice(customer=f"cus_{user_id}", subscription_id=f"sub_{user_id}", price="price_pro")
    failed_at = datetime.fromtimestamp(T0 + 60, UTC)

    await applied(client, event("invoice.payment_failed", failed, created=T0 + 60))
    runtime.quotas.clock = clock = Clock(failed_at + timedelta(days=2, hours=23))
    in_grace = await current(stripe_app, headers)
    retry = event("invoice.payment_failed", failed, created=T0 + 86_400)
    await applied(client, retry)  # Stripe's retry fails too: the grace is not extended
    clock.now = failed_at + timedelta(days=3, seconds=1)
    after_grace = await current(stripe_app, headers)

    assert (in_grace["plan"]["id"], in_grace["status"]) == ("pro", "past_due")
    assert (after_grace["plan"]["id"], after_grace["on_default_plan"]) == ("free", True)


async def test_invoice_paid_renews_and_ends_the_grace_period(stripe_app: App) -> None:
    user_id, headers = await customer(stripe_app)
    client, runtime = stripe_app[1], runtime_of(stripe_app[0])
    ids = {"customer": f"cus_{user_id}", "subscription_id": f"sub_{user_id}"}
    await applied(client, event("customer.subscription.created", sub(user_id), created=T0))
    failed = invoice(**ids, price="price_pro")
    await applied(client, event("invoice.payment_failed", failed, created=T0 + 60))

    paid = invoice(**ids, price="price_pro", period_end=PERIOD_END + 2_678_400)
    outcome = await applied(client, event("invoice.paid", paid, created=T0 + 120))
    runtime.quotas.clock = Clock(datetime.fromtimestamp(T0, UTC) + timedelta(days=10))

    now = await current(stripe_app, headers)
    assert outcome == "applied"
    assert (now["plan"]["id"], now["status"]) == ("pro", "active")
    assert now["current_period_end"] == "2027-02-01T00:00:00Z"


async def test_invoice_paid_before_the_subscription_event_sets_the_plan(stripe_app: App) -> None:
    """Delivered out of order: the older subscription event is then stale."""
    user_id, headers = await customer(stripe_app)
    client = stripe_app[1]
    paid = invoice(customer=f"cus_{user_id}", subscription_id=f"sub_{user_id}", price="price_pro")

    first = await applied(client, event("invoice.paid", paid, created=T0 + 2))
    late = await applied(client, event("customer.subscription.created", sub(user_id), created=T0))

    assert (first, late) == ("applied", "stale")
    assert (await current(stripe_app, headers))["plan"]["id"] == "pro"


async def test_an_older_event_delivered_late_changes_nothing(stripe_app: App) -> None:
    user_id, headers = await customer(stripe_app)
    client = stripe_app[1]
    newer = event("customer.subscription.updated", sub(user_id, "price_basic"), created=T0 + 60)
    older = event("customer.subscription.updated", sub(user_id, "price_pro"), created=T0)

    assert await applied(client, newer) == "applied"
    assert await applied(client, older) == "stale"
    assert (await current(stripe_app, headers))["plan"]["id"] == "basic"


async def test_the_same_event_twice_changes_nothing_the_second_time(stripe_app: App) -> None:
    user_id, headers = await customer(stripe_app)
    client, runtime = stripe_app[1], runtime_of(stripe_app[0])
    admin = (await user_with_token(runtime, client, admin=True))[1]
    created = event("customer.subscription.created", sub(user_id), created=T0)
    assert await applied(client, created) == "applied"
    url = f"/api/v2/admin/users/{user_id}/subscription"
    await client.put(url, json={"plan_id": "basic"}, headers=admin)  # changed by hand since

    again = await applied(client, created)

    assert again == "duplicate"
    assert (await current(stripe_app, headers))["plan"]["id"] == "basic"
    async with runtime.db.read() as session:
        rows = (await session.scalars(select(StripeEvent.id))).all()
    assert rows == [created["id"]]


async def test_the_same_event_delivered_twice_at_once_is_applied_once(stripe_app: App) -> None:
    user_id, _ = await customer(stripe_app)
    client = stripe_app[1]
    failed = invoice(customer=f"cus_{user_id}", subscription_id=f"sub_{user_id}", price="price_pro")
    await applied(client, event("customer.subscription.created", sub(user_id), created=T0))
    body = event("invoice.payment_failed", failed, created=T0 + 60)

    outcomes = await asyncio.gather(applied(client, body), applied(client, body))

    assert sorted(outcomes) == ["applied", "duplicate"]


async def test_events_for_no_known_user_and_other_types_are_answered_200(
    stripe_app: App,
) -> None:
    client = stripe_app[1]
    stranger = subscription("sub_x", customer="cus_nobody", price="price_pro")
    one_off = invoice(customer="cus_nobody", subscription_id=None, price="price_pro")

    unknown = await applied(client, event("customer.subscription.updated", stranger, created=T0))
    other_type = await applied(client, event("customer.created", {"id": "cus_1"}, created=T0))
    no_subscription = await applied(client, event("invoice.paid", one_off, created=T0))

    assert (unknown, other_type, no_subscription) == ("unknown_customer", "ignored", "ignored")


async def test_a_bad_or_missing_signature_is_refused(stripe_app: App) -> None:
    user_id, headers = await customer(stripe_app)
    client = stripe_app[1]
    body = event("customer.subscription.created", sub(user_id), created=T0)
    payload, good = signed(body, WEBHOOK_SECRET)

    forged = await deliver(client, body, secret="whsec_someone_else")
    unsigned = await client.post(WEBHOOK, content=payload)
    tampered = await client.post(
        WEBHOOK, content=payload.replace("price_pro", "price_x"), headers=good
    )

    for response in (forged, unsigned, tampered):
        assert (response.status_code, response.json()["error"]) == (400, "invalid_signature")
    assert (await current(stripe_app, headers))["plan"]["id"] == "free"


async def test_a_replayed_old_signature_is_refused(stripe_app: App) -> None:
    client = stripe_app[1]
    body = event("customer.created", {"id": "cus_1"}, created=T0)

    stale = await deliver(client, body, timestamp=int(time.time()) - 301)

    assert (stale.status_code, stale.json()["error"]) == (400, "invalid_signature")


async def test_a_signed_body_that_is_not_an_event_is_refused(stripe_app: App) -> None:
    client = stripe_app[1]
    for payload in ("not json", '["a list"]', '{"id": "evt_1", "object": "event"}'):
        headers = {"Stripe-Signature": signature(payload, WEBHOOK_SECRET)}

        response = await client.post(WEBHOOK, content=payload, headers=headers)

        assert (response.status_code, response.json()["error"]) == (400, "invalid_payload"), payload


async def test_a_price_of_no_plan_and_a_second_subscription_change_no_plan(
    stripe_app: App,
) -> None:
    user_id, headers = await customer(stripe_app)
    client = stripe_app[1]
    await applied(client, event("customer.subscription.created", sub(user_id), created=T0))
    unknown_price = sub(user_id, "price_nobody_sells")
    second = subscription(
        "sub_second", customer=f"cus_{user_id}", price="price_basic", user_id=user_id
    )

    repriced = event("customer.subscription.updated", unknown_price, created=T0 + 60)
    assert await applied(client, repriced) == "applied"
    another = event("customer.subscription.created", second, created=T0 + 120)
    assert await applied(client, another) == "ignored"

    assert (await current(stripe_app, headers))["plan"]["id"] == "pro"
