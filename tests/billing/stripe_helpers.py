"""Helpers of the payments tests: webhook deliveries signed with Stripe's scheme, a user who
is a Stripe customer, the plan a user is on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from cognitia.models.subscription import Subscription
from tests.billing.conftest import WEBHOOK_SECRET
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_stripe import signed, subscription

App = tuple[FastAPI, httpx.AsyncClient]
Headers = dict[str, str]
WEBHOOK = "/api/v2/billing/stripe/webhook"
T0 = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())  # events' `created`
PERIOD_END = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())


async def deliver(
    client: httpx.AsyncClient, body: dict[str, Any], *, secret: str = WEBHOOK_SECRET, **kw: Any
) -> httpx.Response:
    payload, headers = signed(body, secret, **kw)
    return await client.post(WEBHOOK, content=payload, headers=headers)


async def applied(client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    response = await deliver(client, body)
    assert response.status_code == 200, response.text
    outcome: str = response.json()["outcome"]
    return outcome


async def customer(app: App) -> tuple[str, Headers]:
    """A user who is a Stripe customer (`cus_<user id>`), as checkout leaves them."""
    runtime = runtime_of(app[0])
    user, headers = await user_with_token(runtime, app[1])
    async with runtime.db.unit_of_work() as session:
        session.add(
            Subscription(user_id=user.id, plan_id=None, stripe_customer_id=f"cus_{user.id}")
        )
    return user.id, headers


def sub(user_id: str, price: str = "price_pro", **fields: Any) -> dict[str, Any]:
    return subscription(
        f"sub_{user_id}", customer=f"cus_{user_id}", price=price, user_id=user_id, **fields
    )


async def current(app: App, headers: Headers) -> dict[str, Any]:
    response = await app[1].get("/api/v2/subscription/current", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
