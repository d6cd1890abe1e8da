"""Job handlers by name, each with its payload type and retry policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from cognitia.jobs.ports import JobContext


class Payload(BaseModel):
    """What a job carries: validated when it runs, serialised only at the queue's edge.

    Frozen, and strict about unknown fields: a misspelt field fails where the job is
    requested, not later in a worker."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class NoPayload(Payload):
    """For jobs that need nothing but their name (the periodic ones)."""


P = TypeVar("P", bound=Payload)
JobHandler = Callable[[JobContext, P], Awaitable[None]]


@dataclass(frozen=True)
class JobSpec(Generic[P]):
    name: str
    payload: type[P]
    handler: JobHandler[P]
    max_tries: int = 1
    backoff_seconds: float = 2.0

    def retry_delay(self, attempt: int) -> float:
        """Exponential backoff after the given (1-based) failed attempt: 2s, 8s, 32s..."""
        return float(self.backoff_seconds * 4 ** (attempt - 1))

    async def run(self, ctx: JobContext, data: dict[str, Any]) -> None:
        await self.handler(ctx, self.payload.model_validate(data))


class UnknownJob(LookupError):
    pass


_registry: dict[str, JobSpec[Any]] = {}


def job(
    name: str, payload: type[P], *, max_tries: int = 1, backoff_seconds: float = 2.0
) -> Callable[[JobHandler[P]], JobHandler[P]]:
    """Register a handler under a stable name (names are stored in queued messages)."""

    def register(handler: JobHandler[P]) -> JobHandler[P]:
        _registry[name] = JobSpec(name, payload, handler, max_tries, backoff_seconds)
        return handler

    return register


def get(name: str) -> JobSpec[Any]:
    try:
        return _registry[name]
    except KeyError:
        raise UnknownJob(name) from None


def names() -> list[str]:
    return sorted(_registry)
