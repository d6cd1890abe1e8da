"""The database's quota counters are dropped some weeks after their day, on a schedule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from sqlalchemy import select

from cognitia.billing import logic
from cognitia.billing.providers.database import DatabaseQuotaCounters
from cognitia.billing.tasks import CLEANUP, COUNTER_RETENTION
from cognitia.config import Settings
from cognitia.jobs import registry
from cognitia.jobs.scheduler import Periodic
from cognitia.kit.clock import utcnow
from cognitia.models.subscription import UsageCounter
from cognitia.runtime import JOB_MODULES, Runtime, build_runtime
from tests.support.factories import create_user

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A process's adapters without the app: no scheduler runs a cleanup behind the test."""
    built = build_runtime(settings)
    yield built
    await built.close()


async def test_counters_past_the_retention_go_and_recent_ones_stay(runtime: Runtime) -> None:
    user = await create_user(runtime)
    counters = DatabaseQuotaCounters(runtime.db)
    now = utcnow()
    old = logic.day(now - COUNTER_RETENTION - timedelta(days=1)).key
    kept = logic.day(now - COUNTER_RETENTION + timedelta(days=1)).key
    for period in (old, kept, logic.day(now).key):
        assert await counters.take(user.id, "messages", period, limit=10)

    await registry.get(CLEANUP).run(runtime, {})

    async with runtime.db.read() as session:
        periods = set((await session.scalars(select(UsageCounter.period))).all())
    assert periods == {kept, logic.day(now).key}


async def test_it_is_scheduled_with_the_other_cleanups(
    runtime: Runtime, settings: Settings
) -> None:
    assert Periodic(CLEANUP, settings.jobs.cleanup_interval_seconds) in runtime.schedule
    assert "cognitia.billing.tasks" in JOB_MODULES
