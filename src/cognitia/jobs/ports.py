"""The JobQueue port, and what a job handler is given to work with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from cognitia.config import Settings
    from cognitia.db import Database
    from cognitia.events.ports import EventBus
    from cognitia.llm.registry import ModelRegistry
    from cognitia.llm.service import UsageRecorder
    from cognitia.mail.ports import Mailer
    from cognitia.retrieval.ports import VectorIndex
    from cognitia.storage.ports import BlobStore


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

    async def backlog(self) -> dict[str, int]:
        """Jobs queued or running in the whole queue, by name (for cognitia_jobs_backlog)."""
        ...

    async def before_commit(self, session: AsyncSession) -> None: ...

    async def after_commit(self, session: AsyncSession) -> None: ...

    async def close(self) -> None: ...


class JobContext(Protocol):
    """The adapters a job handler may use. The process that runs jobs (the API's
    lifespan, `cognitia worker`) passes its own; a handler hands each service call only
    the ports that call needs."""

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database: ...
    @property
    def queue(self) -> JobQueue: ...
    @property
    def mailer(self) -> Mailer: ...
    @property
    def models(self) -> ModelRegistry: ...
    @property
    def usage(self) -> UsageRecorder: ...
    @property
    def events(self) -> EventBus: ...
    @property
    def blobs(self) -> BlobStore: ...
    @property
    def vectors(self) -> VectorIndex: ...
