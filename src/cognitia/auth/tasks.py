"""Periodic clean-up of credentials that can no longer be used."""

from __future__ import annotations

from cognitia.auth import repository
from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import NoPayload, job
from cognitia.kit.clock import utcnow

CLEANUP = "auth.cleanup"


@job(CLEANUP, NoPayload)
async def cleanup(ctx: JobContext, payload: NoPayload) -> None:
    async with ctx.db.unit_of_work() as session:
        await repository.delete_expired(session, utcnow())
