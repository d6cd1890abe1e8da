"""The 09:00 UTC check e-mails paid subscribers before a renewal and after a failed
payment, once per billing period however often it runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio

from cognitia.billing import notices
from cognitia.billing.tasks import EXPIRING_SUBSCRIPTIONS
from cognitia.config import Settings
from cognitia.jobs import registry
from cognitia.kit.clock import utcnow
from cognitia.models.subscription import Subscription, SubscriptionStatus
from cognitia.models.user import User
from cognitia.runtime import Runtime, build_runtime
from tests.support.factories import create_user, mail_jobs_to

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def bare(settings: Settings) -> AsyncIterator[Runtime]:
    """Adapters without the app: the queued mail stays queued, to be counted."""
    built = build_runtime(settings)
    yield built
    await built.close()


async def _subscribed(runtime: Runtime, plan: str, days_left: float, **fields: object) -> User:
    user = await create_user(runtime)
    end = utcnow() + timedelta(days=days_left)
    async with runtime.db.unit_of_work() as session:
        session.add(Subscription(user_id=user.id, plan_id=plan, current_period_end=end, **fields))
    return user


async def test_renewals_within_the_notice_and_failed_payments_are_mailed_once(
    bare: Runtime,
) -> None:
    renewing = await _subscribed(bare, "basic", 2)
    later = await _subscribed(bare, "basic", 10)
    failed = await _subscribed(bare, "pro", 20, status=SubscriptionStatus.PAST_DUE)
    leaving = await _subscribed(bare, "basic", 1, cancel_at_period_end=True)
    free = await _subscribed(bare, "free", 1)
    ended = await _subscribed(bare, "basic", 1, status=SubscriptionStatus.CANCELED)

    for _ in range(2):
        await registry.get(EXPIRING_SUBSCRIPTIONS).run(bare, {})

    sent = {u.email: await mail_jobs_to(bare, u.email) for u in (renewing, failed)}
    none = [await mail_jobs_to(bare, u.email) for u in (later, leaving, free, ended)]
    assert sent == {renewing.email: 1, failed.email: 1}
    assert none == [0, 0, 0, 0]


async def test_the_next_period_is_noticed_again(bare: Runtime) -> None:
    user = await _subscribed(bare, "basic", 2)
    now = utcnow()
    async with bare.db.unit_of_work() as session:
        assert await notices.send_due(session, now=now, notice_days=3) == 1
    async with bare.db.unit_of_work() as session:
        subscription = await session.get(Subscription, user.id)
        assert subscription is not None
        subscription.current_period_end += timedelta(days=30)

    async with bare.db.unit_of_work() as session:
        same_period = await notices.send_due(session, now=now, notice_days=3)
    async with bare.db.unit_of_work() as session:
        next_period = await notices.send_due(session, now=now + timedelta(days=30), notice_days=3)

    assert (same_period, next_period) == (0, 1)
    assert await mail_jobs_to(bare, user.email) == 2
