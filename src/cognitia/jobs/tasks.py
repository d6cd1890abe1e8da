"""The jobs domain's own periodic work: finished job rows do not pile up."""

from __future__ import annotations

from datetime import timedelta

from cognitia.jobs import repository
from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import NoPayload, job
from cognitia.kit.clock import utcnow

CLEANUP = "jobs.cleanup"
# Finished job rows can hold e-mail links; keep them only long enough to debug.
FINISHED_JOB_RETENTION = timedelta(days=1)


@job(CLEANUP, NoPayload)
async def cleanup(ctx: JobContext, payload: NoPayload) -> None:
    async with ctx.db.unit_of_work() as session:
        await repository.delete_finished_before(session, utcnow() - FINISHED_JOB_RETENTION)
