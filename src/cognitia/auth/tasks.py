"""Periodic clean-up of what can no longer be used."""

from __future__ import annotations

from datetime import timedelta

from cognitia.auth import repository
from cognitia.jobs import repository as jobs_repository
from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import NoPayload, job
from cognitia.kit.clock import utcnow

CLEANUP = "auth.cleanup"
# Finished job rows can hold e-mail links; keep them only long enough to debug.
FINISHED_JOB_RETENTION = timedelta(days=1)


@job(CLEANUP, NoPayload)
async def cleanup(ctx: JobContext, payload: NoPayload) -> None:
    now = utcnow()
    async with ctx.db.unit_of_work() as session:
        await repository.delete_expired(session, now)
        await jobs_repository.delete_finished_before(session, now - FINISHED_JOB_RETENTION)
