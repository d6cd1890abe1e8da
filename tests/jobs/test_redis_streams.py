"""The distributed queue: taskiq on the real Redis, jobs run by real `cognitia worker` processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from cognitia.config import Settings
from cognitia.jobs.deferred import defer
from cognitia.jobs.providers.redis_streams import RedisStreamJobQueue
from cognitia.jobs.scheduler import Periodic, enqueue_due
from cognitia.runtime import Runtime
from tests.conftest import make_settings
from tests.support.jobs import (
    EXTRA_MODULES,
    FAILING,
    FLAKY,
    HOLD,
    HOLD_COUNTED,
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
from tests.support.workers import (
    WorkerProcesses,
    all_acknowledged,
    pending_messages,
    producer,
    queued_messages,
)

pytestmark = pytest.mark.asyncio


@pytest.fixture
def taskiq_settings(sqlite_url: str, redis_url: str, tmp_path: Path) -> Settings:
    return _settings(sqlite_url, redis_url, tmp_path)


def _settings(sqlite_url: str, redis_url: str, tmp_path: Path, **jobs: object) -> Settings:
    taskiq = {"backend": "taskiq", "extra_modules": EXTRA_MODULES, **jobs}
    return make_settings(sqlite_url, tmp_path, redis_url=redis_url, jobs=taskiq)


@pytest.mark.slow
async def test_deferred_job_is_sent_after_commit_and_run_by_a_worker(
    taskiq_settings: Settings, tmp_path: Path, workers: WorkerProcesses
) -> None:
    worker = workers.start(taskiq_settings)
    async with producer(taskiq_settings) as runtime:
        async with runtime.db.unit_of_work() as session:
            defer(session, RECORD, Marks(dir=str(tmp_path), name="committed"))
            assert not [m for m in await queued_messages(runtime) if b"committed" in m]
        assert await wait_for_marker(tmp_path, "committed") == worker.pid

        with pytest.raises(Rollback):
            await defer_and_roll_back(
                runtime.db, RECORD, Marks(dir=str(tmp_path), name="rolled-back")
            )
        async with runtime.db.unit_of_work() as session:
            defer(session, RECORD, Marks(dir=str(tmp_path), name="after"))
        await wait_for_marker(tmp_path, "after")
        assert not [m for m in await queued_messages(runtime) if b"rolled-back" in m]
        assert marker(tmp_path, "rolled-back") is None


@pytest.mark.slow
async def test_failed_attempts_are_retried_in_the_worker(
    taskiq_settings: Settings, tmp_path: Path, workers: WorkerProcesses
) -> None:
    workers.start(taskiq_settings)
    async with producer(taskiq_settings) as runtime:
        await runtime.queue.enqueue(FLAKY, {"dir": str(tmp_path), "failures": MAX_TRIES - 1})
        await wait_for_marker(tmp_path, "done")
        assert attempts(tmp_path) == MAX_TRIES


@pytest.mark.slow
async def test_job_that_keeps_failing_is_given_up_after_its_tries(
    taskiq_settings: Settings, tmp_path: Path, workers: WorkerProcesses
) -> None:
    workers.start(taskiq_settings)
    async with producer(taskiq_settings) as runtime:
        await runtime.queue.enqueue(FAILING, {"dir": str(tmp_path)})
        await wait_for_marker(tmp_path, f"attempt-{MAX_TRIES}")
        await eventually(lambda: all_acknowledged(runtime))
        assert attempts(tmp_path) == MAX_TRIES


@pytest.mark.slow
async def test_worker_takes_no_more_messages_than_it_can_run(
    sqlite_url: str, redis_url: str, tmp_path: Path, workers: WorkerProcesses
) -> None:
    """A message read but not started would look abandoned to the other workers."""
    settings = _settings(sqlite_url, redis_url, tmp_path, concurrency=1)
    async with producer(settings) as runtime:
        for key in range(3):
            await runtime.queue.enqueue(HOLD, {"dir": str(tmp_path), "key": key})
        workers.start(settings)
        for key in range(3):
            await wait_for_marker(tmp_path, f"started-{key}")
            assert await pending_messages(runtime) == 1
            mark(tmp_path, f"release-{key}")
        await eventually(lambda: all_acknowledged(runtime))


async def test_dedup_key_queues_a_job_once(taskiq_settings: Settings, tmp_path: Path) -> None:
    async with producer(taskiq_settings) as runtime:
        payload = {"dir": str(tmp_path)}
        assert await runtime.queue.enqueue(RECORD, payload, dedup_key="once") is True
        assert await runtime.queue.enqueue(RECORD, payload, dedup_key="once") is False
        assert len(await queued_messages(runtime)) == 1


async def test_periodic_job_is_queued_once_per_period(taskiq_settings: Settings) -> None:
    schedule = [Periodic(NOOP, every_seconds=60)]
    start = 1_800_000_000.0  # the start of a period
    async with producer(taskiq_settings) as runtime:
        assert await enqueue_due(runtime.queue, schedule, start) == [NOOP]
        assert await enqueue_due(runtime.queue, schedule, start + 59) == []
        assert await enqueue_due(runtime.queue, schedule, start + 60) == [NOOP]
        assert len(await queued_messages(runtime)) == 2


@pytest.mark.slow
async def test_the_backlog_counts_what_no_worker_has_finished(
    taskiq_settings: Settings, workers: WorkerProcesses
) -> None:
    async with producer(taskiq_settings) as runtime:
        before = await runtime.queue.backlog()
        for _ in range(3):
            await runtime.queue.enqueue(NOOP, {})
        queued = await runtime.queue.backlog()
        workers.start(taskiq_settings)

        async def drained() -> bool:
            return await runtime.queue.backlog() == {"all": 0}

        await eventually(drained, timeout=60)

    assert before == {"all": 0}
    assert queued == {"all": 3}


@pytest.mark.slow
async def test_a_job_running_longer_than_the_redelivery_time_is_not_run_twice(
    sqlite_url: str, redis_url: str, tmp_path: Path, workers: WorkerProcesses
) -> None:
    """The worker keeps claiming the message it runs: its idle time is reset again and again
    (seen in XPENDING) and it is never delivered a second time, to that worker or another."""
    settings = _settings(sqlite_url, redis_url, tmp_path, redelivery_seconds=0.3)
    workers.start(settings)
    workers.start(settings)
    async with producer(settings) as runtime:
        await runtime.queue.enqueue(HOLD_COUNTED, {"dir": str(tmp_path)})
        await wait_for_marker(tmp_path, "attempt-1")
        renewals = await _idle_resets(runtime, count=6)
        assert renewals == 6
        assert attempts(tmp_path) == 1
        mark(tmp_path, "release")
        await wait_for_marker(tmp_path, "done")
        await eventually(lambda: all_acknowledged(runtime))
    assert attempts(tmp_path) == 1


async def _idle_resets(runtime: Runtime, *, count: int) -> int:
    """Watch the one pending message until its idle time has dropped `count` times (each
    drop a renewal: six span twice the redelivery time); fails if it is delivered again."""
    queue = runtime.queue
    assert isinstance(queue, RedisStreamJobQueue)
    seen = {"idle": -1, "drops": 0}

    async def renewed() -> bool:
        [entry] = await queue.redis.xpending_range(
            queue.broker.queue_name, queue.broker.consumer_group_name, "-", "+", 1
        )
        assert entry["times_delivered"] == 1, "the running job was delivered again"
        if entry["time_since_delivered"] < seen["idle"]:
            seen["drops"] += 1
        seen["idle"] = entry["time_since_delivered"]
        return seen["drops"] >= count

    await eventually(renewed, interval=0.02)
    return seen["drops"]
