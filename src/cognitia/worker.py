"""`cognitia worker`: a process that only runs background jobs."""

from __future__ import annotations

import asyncio
import logging

from cognitia.app import start_embedded_jobs, stop_tasks
from cognitia.config import Settings
from cognitia.jobs import backlog
from cognitia.jobs.providers.redis_streams import RedisStreamJobQueue
from cognitia.jobs.scheduler import run_schedule
from cognitia.observability import logging as cognitia_logging
from cognitia.runtime import build_runtime

log = logging.getLogger(__name__)


async def run_worker(settings: Settings) -> None:
    cognitia_logging.configure(settings.log_level, json=settings.log_json)
    runtime = build_runtime(settings)
    if settings.llm.runner.start_at_boot:
        await runtime.models.start()
    queue = runtime.queue
    if isinstance(queue, RedisStreamJobQueue):
        tasks = [
            asyncio.create_task(queue.work(runtime, concurrency=settings.jobs.concurrency)),
            asyncio.create_task(run_schedule(queue, runtime.schedule)),
        ]
    else:
        tasks = start_embedded_jobs(runtime)
    tasks.append(asyncio.create_task(backlog.watch(queue), name="job-backlog"))
    log.info("worker started", extra={"backend": settings.job_backend})
    try:
        await asyncio.gather(*tasks)
    finally:
        await stop_tasks(tasks)
        await runtime.close()
