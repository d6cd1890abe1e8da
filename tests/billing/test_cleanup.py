"""The database's quota counters are dropped some weeks after their day, and its ended bans
and stale violation points soon after, on a schedule."""

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
from cognitia.kit.ids import new_id
from cognitia.models.ban import Ban, Violation
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


async def test_ended_bans_and_points_past_the_window_go(runtime: Runtime) -> None:
    """Without Redis, bans and violation points are rows: the cleanup drops the bans that
    ended and the points no window counts any more; the rest stay."""
    now = utcnow()
    window = timedelta(seconds=runtime.settings.billing.bans.window_seconds)
    async with runtime.db.unit_of_work() as session:
        session.add_all(
            [
                Ban(subject="user:ended", until=now - timedelta(seconds=1)),
                Ban(subject="user:banned", until=now + timedelta(hours=1)),
                Violation(id=new_id(), subject="ip:old", at=now - window - timedelta(seconds=5)),
                Violation(id=new_id(), subject="ip:recent", at=now),
            ]
        )

    await registry.get(CLEANUP).run(runtime, {})

    async with runtime.db.read() as session:
        bans = set((await session.scalars(select(Ban.subject))).all())
        points = set((await session.scalars(select(Violation.subject))).all())
    assert bans == {"user:banned"}
    assert points == {"ip:recent"}
