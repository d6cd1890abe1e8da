"""Job handlers by name, with their retry policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cognitia.runtime import Runtime

JobHandler = Callable[["Runtime", dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    handler: JobHandler
    max_tries: int = 1
    backoff_seconds: float = 2.0

    def retry_delay(self, attempt: int) -> float:
        """Exponential backoff after the given (1-based) failed attempt: 2s, 8s, 32s..."""
        return float(self.backoff_seconds * 4 ** (attempt - 1))


class UnknownJob(LookupError):
    pass


_registry: dict[str, JobSpec] = {}


def job(
    name: str, *, max_tries: int = 1, backoff_seconds: float = 2.0
) -> Callable[[JobHandler], JobHandler]:
    """Register a handler under a stable name (names are stored in queued messages)."""

    def register(handler: JobHandler) -> JobHandler:
        _registry[name] = JobSpec(name, handler, max_tries, backoff_seconds)
        return handler

    return register


def get(name: str) -> JobSpec:
    try:
        return _registry[name]
    except KeyError:
        raise UnknownJob(name) from None


def names() -> list[str]:
    return sorted(_registry)
