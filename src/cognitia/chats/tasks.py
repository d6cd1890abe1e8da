"""Periodic repair: replies left `streaming` by a process that died mid-reply."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import NoPayload, job
from cognitia.kit.clock import utcnow
from cognitia.models.message import Message, MessageStatus, MessageSwipe

SWEEP_INTERRUPTED = "chats.sweep_interrupted"
# A live reply is saved at least every few seconds while tokens flow and its model has a
# first-token timeout; one untouched this long has no process behind it any more.
STALE_AFTER = timedelta(minutes=10)
INTERRUPTED = "interrupted: The server stopped while generating."


@job(SWEEP_INTERRUPTED, NoPayload)
async def sweep_interrupted(ctx: JobContext, payload: NoPayload) -> None:
    cutoff = utcnow() - STALE_AFTER
    async with ctx.db.unit_of_work() as session:
        stale = select(Message.id).where(
            Message.status == MessageStatus.STREAMING, Message.updated_at < cutoff
        )
        ids = list((await session.scalars(stale)).all())
        if not ids:
            return
        await session.execute(
            update(Message)
            .where(Message.id.in_(ids))
            .values(status=MessageStatus.ERROR, error=INTERRUPTED)
        )
        await session.execute(
            update(MessageSwipe)
            .where(MessageSwipe.message_id.in_(ids), MessageSwipe.status == MessageStatus.STREAMING)
            .values(status=MessageStatus.ERROR)
        )
