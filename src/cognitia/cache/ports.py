"""The Cache and RateLimiter ports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Cache(Protocol):
    """Short-lived shared values (bytes). In-process when embedded, Redis when scaled out."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, *, ttl_seconds: float) -> None: ...

    async def add(self, key: str, value: bytes, *, ttl_seconds: float) -> bool:
        """Set only if absent; True when this call set it."""
        ...

    async def delete(self, key: str) -> None: ...


@dataclass(frozen=True)
class RateLimit:
    limit: int
    window_seconds: int


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    remaining: int
    retry_after_seconds: int
    reset_seconds: int = 0  # until the oldest hit in the window leaves it


class RateLimiter(Protocol):
    """Moving-window counters keyed by a string (an account, an IP, an API key)."""

    async def hit(self, key: str, rate: RateLimit) -> RateDecision:
        """Count one hit and say whether it is within the limit."""
        ...

    async def clear(self, key: str, rate: RateLimit) -> None: ...

    async def close(self) -> None:
        """Release connections (a no-op for in-process counters)."""
        ...
