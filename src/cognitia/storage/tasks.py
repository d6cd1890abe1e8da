"""Deleting blobs once the transaction that stopped using them has committed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.jobs.deferred import defer
from cognitia.jobs.registry import job

if TYPE_CHECKING:
    from cognitia.runtime import Runtime

DELETE_BLOBS = "storage.delete_blobs"


def delete_after_commit(session: AsyncSession, keys: Iterable[str]) -> None:
    """Delete `keys` from the blob store if (and only if) the session's transaction commits.

    Deleting at once would leave a row pointing at nothing when the transaction then
    rolls back; a blob left behind by a rollback the other way round is only garbage.
    """
    wanted = sorted(set(keys))
    if wanted:
        defer(session, DELETE_BLOBS, keys=wanted)


@job(DELETE_BLOBS, max_tries=5)
async def delete_blobs(runtime: Runtime, payload: dict[str, Any]) -> None:
    for key in payload["keys"]:
        await runtime.blobs.delete(key)
