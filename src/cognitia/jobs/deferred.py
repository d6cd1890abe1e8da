"""Jobs requested inside a unit of work, handed to the queue by its commit hooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.jobs import registry

_KEY = "cognitia.deferred_jobs"


@dataclass(frozen=True)
class DeferredJob:
    name: str
    payload: dict[str, Any] = field(default_factory=dict)


def defer(session: AsyncSession, name: str, /, **payload: Any) -> None:
    """Run job `name` once the session's transaction commits (never if it rolls back)."""
    registry.get(name)  # fail now, in the request, for a misspelt name
    session.info.setdefault(_KEY, []).append(DeferredJob(name, payload))


def take(session: AsyncSession) -> list[DeferredJob]:
    """The session's deferred jobs, removed from it."""
    jobs: list[DeferredJob] = session.info.pop(_KEY, [])
    return jobs


def peek(session: AsyncSession) -> list[DeferredJob]:
    jobs: list[DeferredJob] = session.info.get(_KEY, [])
    return jobs
