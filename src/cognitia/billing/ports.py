"""The QuotaCounters port: counters that allow a unit only while under a limit."""

from __future__ import annotations

from typing import Protocol


class QuotaCounters(Protocol):
    """Per-user counters per period, shared by every API process.

    Redis when the server has one (billing/providers/redis.py), else rows of the
    `usage_counter` table (billing/providers/database.py). Both check and count in one
    atomic step, so N requests racing for the last unit of a quota let exactly one in.
    """

    async def take(self, user_id: str, metric: str, period: str, *, limit: int) -> bool:
        """Count one unit if the count is below `limit`; True when it was counted."""
        ...

    async def give_back(self, user_id: str, metric: str, period: str) -> None:
        """Uncount one unit (a message that failed upstream); never below zero."""
        ...

    async def used(self, user_id: str, metric: str, period: str) -> int: ...


class GenerationSlots(Protocol):
    """The generations each user has running, for the plan's `concurrent_generations`.

    Each slot is a lease: a process that dies mid-reply cannot release it, so it lapses
    after `lease_seconds` (billing.generation_lease_seconds). Redis when the server has
    one, else rows of `generation_slot`: either way shared by every API process.
    """

    async def acquire(self, user_id: str, slot_id: str, *, limit: int, lease_seconds: int) -> bool:
        """Hold `slot_id` if fewer than `limit` live slots are held; True when held."""
        ...

    async def release(self, user_id: str, slot_id: str) -> None: ...

    async def held(self, user_id: str) -> int: ...


class BanStore(Protocol):
    """Violation points and bans (billing/bans.py), shared by every API process: the
    Cache and RateLimiter on Redis when the server has one, else rows of `violation` and
    `ban` (billing/providers/bans.py)."""

    async def add_point(self, subject: str) -> bool:
        """Count one point; True when the points within the window (bans.window_seconds)
        reach the threshold (bans.threshold)."""
        ...

    async def ban(self, subject: str, *, until: float) -> None:
        """Ban `subject` until `until` (Unix time); its points start afresh."""
        ...

    async def banned_until(self, subject: str) -> float | None:
        """When `subject`'s ban ends (Unix time); None when there is none."""
        ...

    async def lift(self, subject: str) -> None:
        """No ban and no points any more."""
        ...
