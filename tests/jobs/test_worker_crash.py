"""A worker killed in the middle of a job: another `cognitia worker` process runs it again.

Real processes killed with SIGKILL, on each backend: the embedded runner (a lease on the
job row, on SQLite and PostgreSQL) and taskiq on Redis Streams (an unacknowledged message).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cognitia.config import Settings
from cognitia.models.job import Job, JobStatus
from tests.conftest import make_settings
from tests.support.jobs import BLOCK_FIRST, EXTRA_MODULES, wait_for_marker
from tests.support.waiting import eventually
from tests.support.workers import WorkerProcesses, all_acknowledged, producer

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


async def _run_through_a_crash(settings: Settings, workers: WorkerProcesses, marks: Path) -> None:
    """Queue a job, kill the worker running it, and check that a second worker finishes it."""
    first = workers.start(settings)
    async with producer(settings) as runtime:
        await runtime.queue.enqueue(BLOCK_FIRST, {"dir": str(marks)})
        assert await wait_for_marker(marks, "started") == first.pid
        workers.kill(first)

        second = workers.start(settings)
        assert await wait_for_marker(marks, "done") == second.pid


async def test_embedded_job_survives_a_killed_worker(
    database_url: str, tmp_path: Path, workers: WorkerProcesses
) -> None:
    jobs = {
        "backend": "embedded",
        "lease_seconds": 1,
        "poll_seconds": 0.1,
        "extra_modules": EXTRA_MODULES,
    }
    settings = make_settings(database_url, tmp_path, jobs=jobs)
    marks = tmp_path / "marks"
    await _run_through_a_crash(settings, workers, marks)

    async with producer(settings) as runtime:

        async def finished() -> Job | None:
            async with runtime.db.unit_of_work() as session:
                job = await session.scalar(select(Job).where(Job.name == BLOCK_FIRST))
            return job if job and job.status == JobStatus.DONE else None

        job = await eventually(finished)
    assert job.attempts == 2
    assert job.locked_by is None


async def test_taskiq_job_survives_a_killed_worker(
    sqlite_url: str, redis_url: str, tmp_path: Path, workers: WorkerProcesses
) -> None:
    jobs = {"backend": "taskiq", "redelivery_seconds": 1, "extra_modules": EXTRA_MODULES}
    settings = make_settings(sqlite_url, tmp_path, redis_url=redis_url, jobs=jobs)
    await _run_through_a_crash(settings, workers, tmp_path / "marks")

    async with producer(settings) as runtime:
        await eventually(lambda: all_acknowledged(runtime))
