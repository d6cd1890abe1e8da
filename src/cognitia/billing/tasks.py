"""Periodic clean-up of the quota counters kept in the database (servers without Redis)."""

from __future__ import annotations

from datetime import timedelta

from cognitia.billing import logic, repository
from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import NoPayload, job
from cognitia.kit.clock import utcnow

CLEANUP = "billing.cleanup"
# A day's counters outlive it a while (questions about last month's usage), then go; the
# table would otherwise gain a row per person per day for ever. Redis keys expire alone.
COUNTER_RETENTION = timedelta(days=35)


@job(CLEANUP, NoPayload)
async def cleanup(ctx: JobContext, payload: NoPayload) -> None:
    oldest_kept = logic.day(utcnow() - COUNTER_RETENTION).key
    async with ctx.db.unit_of_work() as session:
        await repository.delete_counters_before(session, oldest_kept)
