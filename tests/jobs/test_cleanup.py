"""The jobs domain cleans its own table: finished rows go after a day, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import select

from cognitia.auth.tasks import CLEANUP as AUTH_CLEANUP
from cognitia.config import Settings
from cognitia.jobs import registry
from cognitia.jobs.scheduler import Periodic
from cognitia.jobs.tasks import CLEANUP, FINISHED_JOB_RETENTION
from cognitia.kit.clock import utcnow
from cognitia.models.job import Job, JobStatus
from cognitia.runtime import JOB_MODULES, Runtime, build_runtime

pytestmark = pytest.mark.asyncio

HOUR = timedelta(hours=1)


@pytest_asyncio.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A process's adapters without the app: no runner or scheduler of its own runs a
    cleanup behind the test's back, so only the handler under test touches the table."""
    built = build_runtime(settings)
    yield built
    await built.close()


async def _add(
    runtime: Runtime, name: str, status: JobStatus, *, finished_at: datetime | None = None
) -> None:
    long_ago = utcnow() - 10 * FINISHED_JOB_RETENTION
    async with runtime.db.unit_of_work() as session:
        session.add(
            Job(
                name=name,
                status=status,
                created_at=long_ago,
                # Never due: a pending row must be kept for its age alone.
                run_at=utcnow() + 10 * FINISHED_JOB_RETENTION,
                finished_at=finished_at,
            )
        )


async def _names(runtime: Runtime) -> set[str]:
    async with runtime.db.read() as session:
        return set((await session.scalars(select(Job.name))).all())


async def test_done_rows_past_the_retention_go_and_everything_else_stays(
    runtime: Runtime,
) -> None:
    now = utcnow()
    await _add(runtime, "old-done", JobStatus.DONE, finished_at=now - FINISHED_JOB_RETENTION - HOUR)
    await _add(runtime, "new-done", JobStatus.DONE, finished_at=now - FINISHED_JOB_RETENTION + HOUR)
    # A failed row stays for whoever looks into why; pending and running rows are work.
    await _add(runtime, "old-failed", JobStatus.FAILED, finished_at=now - 10 * HOUR * 24)
    await _add(runtime, "old-pending", JobStatus.PENDING)
    await _add(runtime, "old-running", JobStatus.RUNNING)

    await registry.get(CLEANUP).run(runtime, {})

    assert await _names(runtime) == {"new-done", "old-failed", "old-pending", "old-running"}


async def test_auth_cleanup_leaves_the_job_table_to_jobs(runtime: Runtime) -> None:
    finished = utcnow() - 10 * FINISHED_JOB_RETENTION
    await _add(runtime, "old-done", JobStatus.DONE, finished_at=finished)

    await registry.get(AUTH_CLEANUP).run(runtime, {})

    assert await _names(runtime) == {"old-done"}


async def test_it_is_scheduled_as_often_as_the_auth_cleanup(
    runtime: Runtime, settings: Settings
) -> None:
    every = settings.jobs.cleanup_interval_seconds

    assert Periodic(CLEANUP, every) in runtime.schedule
    assert Periodic(AUTH_CLEANUP, every) in runtime.schedule
    # Every process that runs jobs imports these; the test process imported it already.
    assert "cognitia.jobs.tasks" in JOB_MODULES
