"""Payments routes: off by default (no key), Checkout and the customer portal through the
local stand-in for Stripe's API, plan changes through Stripe's subscription update, and the
admin's Stripe price on a plan."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.billing.stripe_helpers import T0, applied, current, customer, sub
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_stripe import FakeStripe, event

pytestmark = pytest.mark.asyncio

App = tuple[FastAPI, httpx.AsyncClient]
CHECKOUT = "/api/v2/subscription/checkout"
PORTAL = "/api/v2/subscription/portal"


async def test_payments_are_off_without_a_key(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(runtime_of(app), client)

    state = await client.get("/api/v2/subscription/payments")
    checkout = await client.post(CHECKOUT, json={"plan_id": "pro"}, headers=headers)
    portal = await client.post(PORTAL, headers=headers)
    webhook = await client.post("/api/v2/billing/stripe/webhook", content=b"{}")

    assert (state.status_code, state.json()) == (200, {"enabled": False})
    for response in (checkout, portal, webhook):
        assert (response.status_code, response.json()["error"]) == (404, "payments_disabled")


async def test_checkout_makes_a_customer_once_and_a_session_for_the_plan(
    stripe_app: App, fake_stripe: FakeStripe
) -> None:
    client = stripe_app[1]
    user, headers = await user_with_token(runtime_of(stripe_app[0]), client)

    state = await client.get("/api/v2/subscription/payments")
    first = await client.post(CHECKOUT, json={"plan_id": "pro"}, headers=headers)
    second = await client.post(CHECKOUT, json={"plan_id": "basic"}, headers=headers)

    assert state.json() == {"enabled": True}
    assert first.status_code == 200, first.text
    assert first.json()["url"].startswith("https://checkout.stripe.test/c/pay/cs_test_")
    assert first.json()["changed"] is False
    [made] = fake_stripe.calls("/v1/customers")
    assert (made.form["email"], made.form["metadata[user_id]"]) == (user.email, user.id)
    assert made.headers["authorization"] == "Bearer sk_test_not_a_real_key"
    first_form, second_form = (r.form for r in fake_stripe.calls("/v1/checkout/sessions"))
    assert first_form["customer"] == second_form["customer"] != ""
    assert (first_form["mode"], first_form["client_reference_id"]) == ("subscription", user.id)
    assert first_form["line_items[0][price]"] == "price_pro"
    assert second_form["line_items[0][price]"] == "price_basic"
    assert first_form["subscription_data[metadata][user_id]"] == user.id
    assert first_form["success_url"] == "http://localhost:8000/plans?checkout=success"
    assert first_form["cancel_url"] == "http://localhost:8000/plans?checkout=cancel"
    assert second.status_code == 200, second.text


async def test_plans_that_cannot_be_bought(stripe_app: App) -> None:
    client = stripe_app[1]
    _, headers = await user_with_token(runtime_of(stripe_app[0]), client)

    async def refused(body: dict[str, Any]) -> tuple[int, str]:
        response = await client.post(CHECKOUT, json=body, headers=headers)
        return response.status_code, response.json()["error"]

    assert await refused({"plan_id": "nope"}) == (404, "plan_not_found")
    assert await refused({"plan_id": "enterprise"}) == (409, "plan_not_purchasable")  # no price
    assert await refused({"plan_id": "Pro!"}) == (422, "validation_error")
    assert await refused({}) == (422, "validation_error")
    anonymous = await client.post(CHECKOUT, json={"plan_id": "pro"})
    assert anonymous.status_code == 401


async def test_a_paying_user_changes_plan_through_stripe_with_proration(
    stripe_app: App, fake_stripe: FakeStripe
) -> None:
    user_id, headers = await customer(stripe_app)
    client = stripe_app[1]
    fake_stripe.subscriptions[f"sub_{user_id}"] = sub(user_id, "price_basic")
    await applied(
        client, event("customer.subscription.created", sub(user_id, "price_basic"), created=T0)
    )

    changed = await client.post(CHECKOUT, json={"plan_id": "pro"}, headers=headers)
    same = await client.post(CHECKOUT, json={"plan_id": "basic"}, headers=headers)

    assert (changed.status_code, changed.json()) == (200, {"url": None, "changed": True})
    update = fake_stripe.last(f"/v1/subscriptions/sub_{user_id}")
    assert update.method == "POST"
    assert update.form["items[0][id]"] == f"si_sub_{user_id}"
    assert update.form["items[0][price]"] == "price_pro"
    assert update.form["proration_behavior"] == "create_prorations"
    assert (same.status_code, same.json()["error"]) == (409, "already_on_plan")
    assert not fake_stripe.calls("/v1/checkout/sessions")
    # The plan changes when Stripe says so.
    assert (await current(stripe_app, headers))["plan"]["id"] == "basic"
    updated = fake_stripe.subscriptions[f"sub_{user_id}"]
    await applied(client, event("customer.subscription.updated", updated, created=T0 + 5))
    assert (await current(stripe_app, headers))["plan"]["id"] == "pro"


async def test_the_portal_is_for_people_who_subscribed(
    stripe_app: App, fake_stripe: FakeStripe
) -> None:
    user_id, headers = await customer(stripe_app)
    client = stripe_app[1]

    never_paid = await client.post(PORTAL, headers=headers)
    await applied(client, event("customer.subscription.created", sub(user_id), created=T0))
    portal = await client.post(PORTAL, headers=headers)

    assert (never_paid.status_code, never_paid.json()["error"]) == (409, "no_customer")
    assert portal.status_code == 200, portal.text
    assert portal.json()["url"].startswith("https://billing.stripe.test/p/session/")
    form = fake_stripe.last("/v1/billing_portal/sessions").form
    assert form == {"customer": f"cus_{user_id}", "return_url": "http://localhost:8000/plans"}


async def test_the_current_subscription_tells_whether_stripe_bills_it(stripe_app: App) -> None:
    user_id, headers = await customer(stripe_app)
    client = stripe_app[1]

    before = await current(stripe_app, headers)
    await applied(client, event("customer.subscription.created", sub(user_id), created=T0))
    paying = await current(stripe_app, headers)
    ended = sub(user_id, status="canceled")
    await applied(client, event("customer.subscription.deleted", ended, created=T0 + 5))
    after = await current(stripe_app, headers)

    assert (before["billed_by_stripe"], before["on_default_plan"]) == (False, True)
    assert (paying["billed_by_stripe"], paying["plan"]["id"]) == (True, "pro")
    assert (after["billed_by_stripe"], after["on_default_plan"]) == (False, True)


async def test_a_stripe_error_is_a_502_without_its_message(
    stripe_app: App, fake_stripe: FakeStripe
) -> None:
    client = stripe_app[1]
    _, headers = await user_with_token(runtime_of(stripe_app[0]), client)
    fake_stripe.fail_next(400)

    response = await client.post(CHECKOUT, json={"plan_id": "pro"}, headers=headers)

    assert (response.status_code, response.json()["error"]) == (502, "payment_provider_error")
    assert "scripted failure" not in response.text


async def test_an_admin_sets_a_plans_stripe_price_once_per_price(stripe_app: App) -> None:
    client = stripe_app[1]
    _, admin = await user_with_token(runtime_of(stripe_app[0]), client, admin=True)

    priced = await client.patch(
        "/api/v2/admin/plans/enterprise", json={"stripe_price_id": "price_ent"}, headers=admin
    )
    taken = await client.patch(
        "/api/v2/admin/plans/free", json={"stripe_price_id": "price_pro"}, headers=admin
    )
    made = await client.post(
        "/api/v2/admin/plans",
        json={"id": "team", "name": "Team", "stripe_price_id": "price_pro"},
        headers=admin,
    )
    off_sale = await client.patch(
        "/api/v2/admin/plans/enterprise", json={"stripe_price_id": None}, headers=admin
    )

    assert (priced.status_code, priced.json()["stripe_price_id"]) == (200, "price_ent")
    assert (taken.status_code, taken.json()["error"]) == (409, "stripe_price_taken")
    assert (made.status_code, made.json()["error"]) == (409, "stripe_price_taken")
    assert off_sale.json()["stripe_price_id"] is None


async def test_a_paid_subscription_is_cancelled_in_the_portal_not_here(stripe_app: App) -> None:
    user_id, headers = await customer(stripe_app)
    client = stripe_app[1]
    await applied(client, event("customer.subscription.created", sub(user_id), created=T0))

    for path in ("/api/v2/subscription/cancel", "/api/v2/subscription/reactivate"):
        response = await client.post(path, headers=headers)

        assert (response.status_code, response.json()["error"]) == (409, "managed_by_stripe")


async def test_no_telemetry_goes_to_stripe(stripe_app: App, fake_stripe: FakeStripe) -> None:
    client = stripe_app[1]
    _, headers = await user_with_token(runtime_of(stripe_app[0]), client)

    await client.post(CHECKOUT, json={"plan_id": "pro"}, headers=headers)
    await client.post(CHECKOUT, json={"plan_id": "pro"}, headers=headers)

    for sent in fake_stripe.requests:
        assert "x-stripe-client-telemetry" not in sent.headers
        assert "telemetry_id" not in sent.headers["x-stripe-client-user-agent"]


async def test_after_a_subscription_ended_checkout_starts_a_new_one(
    stripe_app: App, fake_stripe: FakeStripe
) -> None:
    user_id, headers = await customer(stripe_app)
    client = stripe_app[1]
    await applied(client, event("customer.subscription.created", sub(user_id), created=T0))
    ended = sub(user_id, status="canceled")
    await applied(client, event("customer.subscription.deleted", ended, created=T0 + 60))

    again = await client.post(CHECKOUT, json={"plan_id": "pro"}, headers=headers)

    assert (again.status_code, again.json()["changed"]) == (200, False)
    assert again.json()["url"].startswith("https://checkout.stripe.test/")
    assert fake_stripe.last("/v1/checkout/sessions").form["customer"] == f"cus_{user_id}"
    assert not fake_stripe.calls("/v1/customers")
