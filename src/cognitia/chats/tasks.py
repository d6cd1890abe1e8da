"""Periodic repair: replies left `streaming` by a process that died mid-reply."""

from __future__ import annotations

from datetime import timedelta

from cognitia.chats import repository
from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import NoPayload, job
from cognitia.kit.clock import utcnow

SWEEP_INTERRUPTED = "chats.sweep_interrupted"
# A live reply is saved at least every few seconds while tokens flow and its model has a
# first-token timeout; one untouched this long has no process behind it any more.
STALE_AFTER = timedelta(minutes=10)
INTERRUPTED = "interrupted: The server stopped while generating."


@job(SWEEP_INTERRUPTED, NoPayload)
async def sweep_interrupted(ctx: JobContext, payload: NoPayload) -> None:
    async with ctx.db.unit_of_work() as session:
        stale = await repository.stale_streaming(session, updated_before=utcnow() - STALE_AFTER)
        if stale:
            await repository.mark_failed(session, stale, error=INTERRUPTED)
