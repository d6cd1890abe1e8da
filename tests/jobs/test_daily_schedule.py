"""Jobs at a time of day: a daily period starts at its offset (00:05, 09:00 UTC), and two
schedulers on one queue queue each day's run once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from cognitia.config import Settings
from cognitia.jobs.scheduler import Periodic, daily, enqueue_due
from cognitia.models.job import Job
from cognitia.runtime import Runtime, build_runtime
from tests.support.jobs import NOOP

pytestmark = pytest.mark.asyncio


def _at(hour: int, minute: int, day: int = 7) -> float:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC).timestamp()


@pytest_asyncio.fixture
async def two_schedulers(settings: Settings) -> AsyncIterator[tuple[Runtime, Runtime]]:
    """Two processes' adapters on one database: two schedulers on one queue."""
    one, two = build_runtime(settings), build_runtime(settings)
    yield one, two
    await one.close()
    await two.close()


async def test_a_daily_job_starts_its_day_at_its_time() -> None:
    job = daily("x", hour=0, minute=5)
    assert job == Periodic("x", 86_400, offset_seconds=300)
    assert job.period(_at(0, 4)) == job.period(_at(0, 0)) == job.period(_at(0, 5, day=6))
    assert job.period(_at(0, 5)) == job.period(_at(0, 4)) + 1
    assert job.period(_at(23, 59)) == job.period(_at(0, 5))
    assert job.next_start(_at(0, 4)) == _at(0, 5)
    assert job.next_start(_at(0, 5)) == _at(0, 5, day=8)
    assert daily("y", hour=9).next_start(_at(12, 0)) == _at(9, 0, day=8)


async def test_two_schedulers_queue_each_day_once(
    two_schedulers: tuple[Runtime, Runtime],
) -> None:
    one, two = two_schedulers
    schedule = [daily(NOOP, hour=0, minute=5)]

    queued = [
        await enqueue_due(one.queue, schedule, _at(0, 5)),
        await enqueue_due(two.queue, schedule, _at(0, 5)),
        await enqueue_due(two.queue, schedule, _at(23, 0)),
        await enqueue_due(one.queue, schedule, _at(0, 4, day=8)),
        await enqueue_due(two.queue, schedule, _at(0, 5, day=8)),
        await enqueue_due(one.queue, schedule, _at(0, 6, day=8)),
    ]

    assert queued == [[NOOP], [], [], [], [NOOP], []]
    async with one.db.read() as session:
        count = await session.scalar(select(func.count()).select_from(Job).where(Job.name == NOOP))
    assert count == 2


async def test_the_billing_jobs_run_daily_at_their_times(
    two_schedulers: tuple[Runtime, Runtime],
) -> None:
    runtime, _ = two_schedulers
    assert daily("billing.daily_metrics", hour=0, minute=5) in runtime.schedule
    assert daily("billing.expiring_subscriptions", hour=9) in runtime.schedule
