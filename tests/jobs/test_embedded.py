"""The embedded queue and the runner inside the API process, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cognitia.jobs.deferred import defer
from cognitia.jobs.scheduler import Periodic, enqueue_due
from cognitia.mail import service as mail
from cognitia.mail.providers.memory import MemoryMailer
from cognitia.mail.tasks import SEND_EMAIL
from cognitia.models.job import Job, JobStatus
from cognitia.runtime import Runtime
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.jobs import (
    EXTRA_MODULES,
    FAILING,
    FLAKY,
    HOLD,
    MAX_TRIES,
    NOOP,
    RECORD,
    Marks,
    Rollback,
    attempts,
    defer_and_roll_back,
    mark,
    marker,
    wait_for_marker,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio


async def _jobs(runtime: Runtime, name: str) -> list[Job]:
    async with runtime.db.unit_of_work() as session:
        return list((await session.scalars(select(Job).where(Job.name == name))).all())


async def _finished(runtime: Runtime, name: str) -> Job:
    """The only job of that name, once the runner has recorded its outcome."""

    async def probe() -> Job | None:
        rows = await _jobs(runtime, name)
        assert len(rows) <= 1
        finished = rows and rows[0].status in (JobStatus.DONE, JobStatus.FAILED)
        return rows[0] if finished else None

    return await eventually(probe)


async def test_deferred_job_is_written_with_the_commit_and_then_run(
    runtime: Runtime, tmp_path: Path
) -> None:
    async with runtime.db.unit_of_work() as session:
        defer(session, RECORD, Marks(dir=str(tmp_path)))
        assert await _jobs(runtime, RECORD) == []  # not before the commit

    job = await _finished(runtime, RECORD)
    assert marker(tmp_path, "done") is not None
    expected = Marks(dir=str(tmp_path)).model_dump()
    assert (job.status, job.attempts, job.payload) == (JobStatus.DONE, 1, expected)
    assert job.finished_at is not None
    assert job.locked_by is None


async def test_job_deferred_in_a_rolled_back_unit_of_work_never_exists(
    runtime: Runtime, tmp_path: Path
) -> None:
    with pytest.raises(Rollback):
        await defer_and_roll_back(runtime.db, RECORD, Marks(dir=str(tmp_path), name="rolled-back"))
    assert await _jobs(runtime, RECORD) == []

    # A job committed afterwards runs; the rolled-back one had no row to run from.
    async with runtime.db.unit_of_work() as session:
        defer(session, RECORD, Marks(dir=str(tmp_path), name="committed"))
    job = await _finished(runtime, RECORD)
    assert job.payload["name"] == "committed"
    assert marker(tmp_path, "rolled-back") is None


async def test_failed_attempts_are_retried_with_backoff(runtime: Runtime, tmp_path: Path) -> None:
    await runtime.queue.enqueue(FLAKY, {"dir": str(tmp_path), "failures": MAX_TRIES - 1})

    job = await _finished(runtime, FLAKY)
    assert job.status == JobStatus.DONE
    assert job.attempts == MAX_TRIES == attempts(tmp_path)
    assert job.last_error == f"RuntimeError: failure {MAX_TRIES - 1}"
    assert marker(tmp_path, "done") is not None


async def test_job_that_keeps_failing_ends_failed(runtime: Runtime, tmp_path: Path) -> None:
    await runtime.queue.enqueue(FAILING, {"dir": str(tmp_path)})

    job = await _finished(runtime, FAILING)
    assert job.status == JobStatus.FAILED
    assert job.attempts == job.max_tries == MAX_TRIES == attempts(tmp_path)
    assert job.last_error == f"RuntimeError: failure {MAX_TRIES}"
    assert job.finished_at is not None


async def test_runner_renews_the_lease_of_a_long_job(database_url: str, tmp_path: Path) -> None:
    """A job that outlives its lease is not taken again while its runner is alive."""
    lease = timedelta(seconds=1)
    jobs = {"extra_modules": EXTRA_MODULES, "lease_seconds": lease.total_seconds()}
    async with running_app(make_settings(database_url, tmp_path, jobs=jobs)) as (app, _):
        runtime: Runtime = app.state.runtime
        await runtime.queue.enqueue(HOLD, {"dir": str(tmp_path), "key": 0})
        await wait_for_marker(tmp_path, "started-0")

        async def held_past_three_leases() -> Job | None:
            [job] = await _jobs(runtime, HOLD)
            renewed = job.locked_until and job.locked_until > job.created_at + 3 * lease
            return job if renewed else None

        held = await eventually(held_past_three_leases)
        assert (held.status, held.attempts) == (JobStatus.RUNNING, 1)
        mark(tmp_path, "release-0")
        job = await _finished(runtime, HOLD)
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)


async def test_dedup_key_queues_a_job_once(runtime: Runtime, tmp_path: Path) -> None:
    payload = {"dir": str(tmp_path)}
    assert await runtime.queue.enqueue(RECORD, payload, dedup_key="once") is True
    assert await runtime.queue.enqueue(RECORD, payload, dedup_key="once") is False

    job = await _finished(runtime, RECORD)
    assert job.dedup_key == "once"


async def test_periodic_job_is_queued_once_per_period(runtime: Runtime) -> None:
    schedule = [Periodic(NOOP, every_seconds=60)]
    start = 1_800_000_000.0  # the start of a period

    assert await enqueue_due(runtime.queue, schedule, start) == [NOOP]
    assert await enqueue_due(runtime.queue, schedule, start + 59) == []
    assert await enqueue_due(runtime.queue, schedule, start + 60) == [NOOP]

    async with runtime.db.unit_of_work() as session:
        count = await session.scalar(select(func.count()).select_from(Job).where(Job.name == NOOP))
    assert count == 2


async def test_mail_is_sent_by_the_mail_job_after_commit(runtime: Runtime) -> None:
    mailer = runtime.mailer
    assert isinstance(mailer, MemoryMailer)
    async with runtime.db.unit_of_work() as session:
        mail.send_later(session, to="ada@example.com", subject="Hello", body="Hi Ada")

    job = await _finished(runtime, SEND_EMAIL)
    assert (job.status, job.max_tries) == (JobStatus.DONE, 3)
    [message] = mailer.outbox
    assert (message.to, message.subject, message.body) == ("ada@example.com", "Hello", "Hi Ada")


async def test_jobs_wait_while_a_reply_is_starting_and_run_once_it_has(
    runtime: Runtime, tmp_path: Path
) -> None:
    """Replies first (kit/priority.py): the runner's jobs are background work."""
    priority = runtime.db.priority
    priority.max_wait_seconds = 60  # as long as the reply holds, for this test
    hold = priority.hold()  # a reply before its first token
    try:
        async with runtime.db.unit_of_work() as session:  # a request's own work goes on
            defer(session, RECORD, Marks(dir=str(tmp_path)))
        await eventually(_waiting_on(runtime))
        assert marker(tmp_path, "done") is None
    finally:
        hold.release()
    job = await _finished(runtime, RECORD)
    assert job.status == JobStatus.DONE
    assert marker(tmp_path, "done") is not None


def _waiting_on(runtime: Runtime) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return runtime.db.priority.waiting > 0

    return probe
