"""Deleting blobs once the transaction that stopped using them has committed."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.jobs.deferred import defer
from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import Payload, job

DELETE_BLOBS = "storage.delete_blobs"


class DeleteBlobs(Payload):
    keys: list[str]


def delete_after_commit(session: AsyncSession, keys: Iterable[str]) -> None:
    """Delete `keys` from the blob store if (and only if) the session's transaction commits.

    Deleting at once would leave a row pointing at nothing when the transaction then
    rolls back; a blob left behind by a rollback the other way round is only garbage.
    """
    wanted = sorted(set(keys))
    if wanted:
        defer(session, DELETE_BLOBS, DeleteBlobs(keys=wanted))


@job(DELETE_BLOBS, DeleteBlobs, max_tries=5)
async def delete_blobs(ctx: JobContext, payload: DeleteBlobs) -> None:
    for key in payload.keys:
        await ctx.blobs.delete(key)
