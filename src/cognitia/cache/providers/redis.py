"""Redis cache: shared by every API process and worker."""

from __future__ import annotations

from redis.asyncio import Redis


class RedisCache:
    def __init__(self, redis: Redis, prefix: str = "cognitia:cache:") -> None:
        self.redis = redis
        self.prefix = prefix

    async def get(self, key: str) -> bytes | None:
        value = await self.redis.get(self.prefix + key)
        return value.encode() if isinstance(value, str) else value

    async def set(self, key: str, value: bytes, *, ttl_seconds: float) -> None:
        await self.redis.set(self.prefix + key, value, px=max(1, int(ttl_seconds * 1000)))

    async def add(self, key: str, value: bytes, *, ttl_seconds: float) -> bool:
        done = await self.redis.set(
            self.prefix + key, value, px=max(1, int(ttl_seconds * 1000)), nx=True
        )
        return bool(done)

    async def delete(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)
