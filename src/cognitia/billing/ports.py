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
