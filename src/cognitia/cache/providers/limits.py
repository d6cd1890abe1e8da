"""Rate limiting with the `limits` library: memory storage or Redis storage."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool

from cognitia.cache.ports import RateDecision, RateLimit


class LimitsRateLimiter:
    def __init__(
        self, storage: Storage, prefix: str = "cognitia", *, pool: ConnectionPool | None = None
    ) -> None:
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        self.prefix = prefix
        self._pool = pool

    @classmethod
    def in_memory(cls) -> LimitsRateLimiter:
        return cls(MemoryStorage())

    @classmethod
    def on_redis(cls, redis_url: str) -> LimitsRateLimiter:
        uri = redis_url.replace("redis://", "async+redis://", 1).replace(
            "rediss://", "async+rediss://", 1
        )
        # Our own pool, so close() can release the connections (limits has no close).
        # limits documents `connection_pool` but annotates its **options as scalars.
        pool = ConnectionPool.from_url(redis_url)
        storage = RedisStorage(uri, implementation="redispy", connection_pool=pool)  # type: ignore[arg-type]
        return cls(storage, pool=pool)

    @staticmethod
    def _item(rate: RateLimit) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(rate.limit, rate.window_seconds)

    async def hit(self, key: str, rate: RateLimit) -> RateDecision:
        item = self._item(rate)
        allowed = await self.limiter.hit(item, self.prefix, key)
        stats = await self.limiter.get_window_stats(item, self.prefix, key)
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        retry_after = 0 if allowed else max(1, reset)
        return RateDecision(allowed, stats.remaining, retry_after, reset)

    async def clear(self, key: str, rate: RateLimit) -> None:
        await self.limiter.clear(self._item(rate), self.prefix, key)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()
