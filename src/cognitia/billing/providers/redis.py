"""Quota counters in Redis: one key per user, metric and period, expiring after it."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

# Check and count in one step (a script runs atomically), so racing API processes
# never both take the last unit.
_TAKE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
_GIVE_BACK = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used > 0 then redis.call('DECR', KEYS[1]) end
return used
"""
# Counters outlive their period by a while, for GET /usage just after midnight.
KEEP_SECONDS = 3 * 24 * 3600 + 31 * 24 * 3600


class RedisQuotaCounters:
    def __init__(self, redis: Redis, prefix: str = "cognitia:quota:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._take: Any = redis.register_script(_TAKE)
        self._give_back: Any = redis.register_script(_GIVE_BACK)

    def _key(self, user_id: str, metric: str, period: str) -> str:
        return f"{self.prefix}{user_id}:{metric}:{period}"

    async def take(self, user_id: str, metric: str, period: str, *, limit: int) -> bool:
        key = self._key(user_id, metric, period)
        return bool(await self._take(keys=[key], args=[limit, KEEP_SECONDS]))

    async def give_back(self, user_id: str, metric: str, period: str) -> None:
        await self._give_back(keys=[self._key(user_id, metric, period)])

    async def used(self, user_id: str, metric: str, period: str) -> int:
        value = await self.redis.get(self._key(user_id, metric, period))
        return int(value) if value is not None else 0
