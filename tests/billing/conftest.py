"""An app on the fake upstream whose default plan is Free, as an operator selling plans runs it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import update

from cognitia.models.plan import Plan
from tests.chats.conftest import fake_model_settings
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.factories import runtime_of
from tests.support.fake_stripe import FakeStripe
from tests.support.fake_upstream import FakeUpstream


@pytest_asyncio.fixture
async def free_app(
    database_url: str, tmp_path: Path, upstream: FakeUpstream
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = fake_model_settings(
        database_url, tmp_path, upstream, billing={"default_plan": "free"}
    )
    async with running_app(settings) as pair:
        yield pair


WEBHOOK_SECRET = "whsec_test_secret"
# The plans Checkout sells in these tests, by their Stripe price.
PRICES = {"basic": "price_basic", "pro": "price_pro"}


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


@pytest_asyncio.fixture
async def stripe_app(
    database_url: str, tmp_path: Path, fake_stripe: FakeStripe
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """Payments on, Stripe's API at the local stand-in, Basic and Pro for sale, Free the
    default plan."""
    stripe = {
        "secret_key": "sk_test_not_a_real_key",
        "webhook_secret": WEBHOOK_SECRET,
        "api_base": fake_stripe.url,
    }
    settings = make_settings(
        database_url, tmp_path, billing={"default_plan": "free", "stripe": stripe}
    )
    async with running_app(settings) as (app, client):
        async with runtime_of(app).db.unit_of_work() as session:
            for plan_id, price in PRICES.items():
                await session.execute(
                    update(Plan).where(Plan.id == plan_id).values(stripe_price_id=price)
                )
        yield app, client
