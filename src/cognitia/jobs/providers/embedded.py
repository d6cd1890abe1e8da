"""The embedded queue: a durable `job` table and an in-process runner that polls it.

Deferred jobs are written in the request's own transaction, so a job exists exactly
when the data it is about does. A claimed job holds a lease that its runner renews;
when the runner dies the lease runs out and the next runner takes the job again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.db import Database
from cognitia.jobs import deferred, registry, repository
from cognitia.jobs.execution import run_attempt
from cognitia.jobs.ports import JobContext
from cognitia.kit import priority
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id
from cognitia.models.job import Job, JobStatus
from cognitia.observability.metrics import JOBS_ENQUEUED

log = logging.getLogger(__name__)


def _row(name: str, payload: dict[str, Any], dedup_key: str | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "payload": payload,
        "max_tries": registry.get(name).max_tries,
        "dedup_key": dedup_key,
        "run_at": utcnow(),
    }


class EmbeddedJobQueue:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.wake = asyncio.Event()

    async def enqueue(
        self, name: str, payload: dict[str, Any], *, dedup_key: str | None = None
    ) -> bool:
        async with self.db.unit_of_work() as session:
            inserted = await repository.insert(session, _row(name, payload, dedup_key))
        if inserted:
            JOBS_ENQUEUED.labels(name).inc()
            self.wake.set()
        return inserted

    async def backlog(self) -> dict[str, int]:
        async with self.db.read() as session:
            return await repository.backlog(session)

    async def before_commit(self, session: AsyncSession) -> None:
        for job in deferred.take(session):
            session.add(Job(**_row(job.name, job.payload)))
            JOBS_ENQUEUED.labels(job.name).inc()
            session.info["cognitia.wake_runner"] = True

    async def after_commit(self, session: AsyncSession) -> None:
        if session.info.pop("cognitia.wake_runner", False):
            self.wake.set()

    async def close(self) -> None:
        return None


class EmbeddedRunner:
    """Claims due jobs and runs up to `concurrency` of them at once."""

    def __init__(
        self,
        ctx: JobContext,
        queue: EmbeddedJobQueue,
        *,
        concurrency: int,
        poll_seconds: float,
        lease_seconds: float,
    ) -> None:
        self.ctx = ctx
        self.queue = queue
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"
        self._running: set[asyncio.Task[None]] = set()
        self.ticks = 0  # loop iterations, for /readyz to see the runner is alive

    async def run_forever(self) -> None:
        # Its jobs (the tasks it starts) run as background work: replies go first.
        with priority.background():
            await self._run()

    async def _run(self) -> None:
        try:
            while True:
                self.ticks += 1
                claimed = await self._claim()
                if len(claimed) == 0 or len(self._running) >= self.concurrency:
                    await self._wait()
        finally:
            await self.shutdown()

    async def _claim(self) -> list[Job]:
        free = self.concurrency - len(self._running)
        if free <= 0:
            return []
        try:
            async with self.ctx.db.unit_of_work() as session:
                jobs = await repository.claim(
                    session, limit=free, worker_id=self.worker_id, now=utcnow(), lease=self.lease
                )
        except Exception:
            log.exception("claiming jobs failed")
            return []
        for job in jobs:
            task = asyncio.create_task(self._execute(job))
            self._running.add(task)
            task.add_done_callback(self._done)
        return jobs

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self.queue.wake.set()

    async def _wait(self) -> None:
        # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that arrives as the
        # wake-up does, and the runner would then never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.poll_seconds):
                await self.queue.wake.wait()
        self.queue.wake.clear()

    async def _execute(self, job: Job) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(job.id))
        try:
            await run_attempt(self.ctx, job.name, job.payload, job.attempts)
        except asyncio.CancelledError:
            # Shutting down: hand the job back now rather than when its lease runs out.
            await self._record(job.id, status=JobStatus.PENDING, attempts=job.attempts - 1)
            raise
        except Exception as exc:
            await self._record_failure(job, exc)
        else:
            await self._record(job.id, status=JobStatus.DONE, finished_at=utcnow())
        finally:
            heartbeat.cancel()

    async def _record_failure(self, job: Job, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        spec = registry.get(job.name)
        if job.attempts < spec.max_tries:
            retry_at = utcnow() + timedelta(seconds=spec.retry_delay(job.attempts))
            await self._record(job.id, status=JobStatus.PENDING, run_at=retry_at, last_error=error)
        else:
            await self._record(
                job.id, status=JobStatus.FAILED, finished_at=utcnow(), last_error=error
            )

    async def _record(self, job_id: str, **values: Any) -> None:
        async with self.ctx.db.unit_of_work() as session:
            await repository.finish(session, job_id=job_id, worker_id=self.worker_id, values=values)

    async def _heartbeat(self, job_id: str) -> None:
        interval = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                async with self.ctx.db.unit_of_work() as session:
                    until = utcnow() + self.lease
                    await repository.renew(
                        session, job_id=job_id, worker_id=self.worker_id, until=until
                    )

    async def shutdown(self) -> None:
        """Stop running jobs; their leases run out and they are taken again later."""
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
