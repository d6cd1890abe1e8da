"""A worker killed in the middle of a task: real `cognitia worker` processes, SIGKILL while
a step's model call is held open, a second worker finishes the task, and the step that had
finished is not run again. On taskiq (Redis Streams) and on the embedded runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cognitia.agents.tasks import service
from cognitia.agents.tasks.schemas import TaskCreate, TaskDetail
from cognitia.config import Settings
from cognitia.models.user import User
from cognitia.runtime import Runtime
from tests.chats.helpers import create_character
from tests.support.factories import create_user
from tests.support.fake_upstream import FakeUpstream
from tests.support.waiting import eventually
from tests.support.workers import WorkerProcesses, producer
from tests.tasks.conftest import task_settings
from tests.tasks.helpers import ACCEPT, plan, step

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


async def _finished(runtime: Runtime, user: User, task_id: str) -> TaskDetail:
    async def probe() -> TaskDetail | None:
        task = await service.detail(runtime.db, user=user, task_id=task_id)
        return task if task.status in ("succeeded", "failed", "cancelled") else None

    return await eventually(probe, timeout=90)


async def _through_a_crash(
    settings: Settings, workers: WorkerProcesses, upstream: FakeUpstream
) -> None:
    upstream.script(
        "planner-model", reply=plan(step("gather"), step("write", depends_on=("gather",)))
    )
    upstream.script("planner-model", reply=ACCEPT, times=None)
    upstream.script("rp-model", reply="Gathered.")
    upstream.script("rp-model", reply="never sent: the worker dies first", hold=True)
    upstream.script("rp-model", reply="Written.")
    upstream.script("summary-model", reply="All done.")
    first = workers.start(settings)
    async with producer(settings) as runtime:
        user = await create_user(runtime)
        lead = await create_character(runtime, owner=user, name="Lead")
        data = TaskCreate(goal="Write about tides.", character_id=lead.id)
        created = await service.create(runtime.db, user=user, data=data)

        async def writing() -> bool:
            return len(upstream.requests_for("rp-model")) == 2

        await eventually(writing, timeout=90)  # the second step's call is held open
        workers.kill(first)
        workers.start(settings)
        task = await _finished(runtime, user, created.id)

    assert task.status == "succeeded", task
    assert task.result == "All done."
    gather, write = task.steps
    assert (gather.result, gather.attempts) == ("Gathered.", 1)  # not run again
    assert (write.result, write.attempts) == ("Written.", 2)
    assert len(upstream.requests_for("rp-model")) == 3
    # One plan, one critic check per finished step: the plan was not asked for again.
    assert len(upstream.requests_for("planner-model")) == 3
    assert len(upstream.requests_for("summary-model")) == 1


async def test_a_task_survives_a_killed_taskiq_worker(
    database_url: str,
    redis_url: str,
    tmp_path: Path,
    upstream: FakeUpstream,
    workers: WorkerProcesses,
) -> None:
    jobs: dict[str, Any] = {"backend": "taskiq", "redelivery_seconds": 1}
    settings = task_settings(database_url, tmp_path, upstream, redis_url=redis_url, jobs=jobs)
    await _through_a_crash(settings, workers, upstream)


async def test_a_task_survives_a_killed_embedded_worker(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, workers: WorkerProcesses
) -> None:
    jobs: dict[str, Any] = {"backend": "embedded", "lease_seconds": 1, "poll_seconds": 0.1}
    settings = task_settings(database_url, tmp_path, upstream, jobs=jobs)
    await _through_a_crash(settings, workers, upstream)
