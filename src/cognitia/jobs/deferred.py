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


def defer(session: AsyncSession, name: str, payload: registry.Payload) -> None:
    """Run job `name` once the session's transaction commits (never if it rolls back)."""
    expected = registry.get(name).payload  # fail now, in the request, for a misspelt name
    if not isinstance(payload, expected):
        raise TypeError(f"job {name} takes {expected.__name__}, not {type(payload).__name__}")
    session.info.setdefault(_KEY, []).append(DeferredJob(name, payload.model_dump(mode="json")))


def take(session: AsyncSession) -> list[DeferredJob]:
    """The session's deferred jobs, removed from it."""
    jobs: list[DeferredJob] = session.info.pop(_KEY, [])
    return jobs


def peek(session: AsyncSession) -> list[DeferredJob]:
    jobs: list[DeferredJob] = session.info.get(_KEY, [])
    return jobs
