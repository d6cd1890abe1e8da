"""Generation slots (billing/ports.py GenerationSlots): a sorted set per user in Redis,
each member a slot scored by when its lease lapses; in-process for a single API process."""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

# Drop lapsed leases, then hold a slot only while under the limit: one atomic step, so
# racing processes never hold more than the limit between them.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class RedisGenerationSlots:
    def __init__(self, redis: Redis, prefix: str = "cognitia:slots:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._acquire: Any = redis.register_script(_ACQUIRE)

    async def acquire(self, user_id: str, slot_id: str, *, limit: int, lease_seconds: int) -> bool:
        now = time.time()
        args = [now, limit, now + lease_seconds, slot_id, lease_seconds]
        return bool(await self._acquire(keys=[self.prefix + user_id], args=args))

    async def release(self, user_id: str, slot_id: str) -> None:
        await self.redis.zrem(self.prefix + user_id, slot_id)

    async def held(self, user_id: str) -> int:
        key = self.prefix + user_id
        return int(await self.redis.zcount(key, time.time(), "+inf"))


class MemoryGenerationSlots:
    """Slots of this process only: right for one API process (the embedded setup)."""

    def __init__(self) -> None:
        self._slots: dict[str, dict[str, float]] = {}

    def _live(self, user_id: str) -> dict[str, float]:
        now = time.monotonic()
        live = {s: end for s, end in self._slots.get(user_id, {}).items() if end > now}
        self._slots[user_id] = live
        return live

    async def acquire(self, user_id: str, slot_id: str, *, limit: int, lease_seconds: int) -> bool:
        live = self._live(user_id)
        if len(live) >= limit:
            return False
        live[slot_id] = time.monotonic() + lease_seconds
        return True

    async def release(self, user_id: str, slot_id: str) -> None:
        live = self._live(user_id)
        live.pop(slot_id, None)
        if not live:
            del self._slots[user_id]

    async def held(self, user_id: str) -> int:
        return len(self._live(user_id))
