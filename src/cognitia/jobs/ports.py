"""The JobQueue port."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class JobQueue(Protocol):
    """Hands jobs to whatever runs them.

    Jobs deferred in a unit of work (`jobs.defer`) are handed over by the commit hooks:
    `before_commit` may write them in the same transaction (embedded), `after_commit`
    sends them on (taskiq); a rolled-back transaction hands over nothing.
    """

    async def enqueue(
        self, name: str, payload: dict[str, Any], *, dedup_key: str | None = None
    ) -> bool:
        """Queue a job outside a request; False when `dedup_key` was queued before."""
        ...

    async def before_commit(self, session: AsyncSession) -> None: ...

    async def after_commit(self, session: AsyncSession) -> None: ...

    async def close(self) -> None: ...
