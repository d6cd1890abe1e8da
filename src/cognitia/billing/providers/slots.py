"""Generation slots (billing/ports.py GenerationSlots): a sorted set per user in Redis,
each member a slot scored by when its lease lapses; rows of `generation_slot` without
Redis."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import delete, func, select

from cognitia.billing.repository import lock_user
from cognitia.db import Database
from cognitia.kit.clock import utcnow
from cognitia.models.usage_daily import GenerationSlot

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


class DatabaseGenerationSlots:
    """Rows of `generation_slot`, for servers without Redis. Each acquisition is one short
    transaction that locks the user's row (PostgreSQL) or takes the write lock with its
    first statement (SQLite), so racing processes count the slots one at a time."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def acquire(self, user_id: str, slot_id: str, *, limit: int, lease_seconds: int) -> bool:
        now = utcnow()
        async with self.db.unit_of_work() as session:
            await lock_user(session, user_id)
            await session.execute(
                delete(GenerationSlot).where(
                    GenerationSlot.user_id == user_id, GenerationSlot.expires_at <= now
                )
            )
            held = await session.scalar(
                select(func.count()).where(GenerationSlot.user_id == user_id)
            )
            if (held or 0) >= limit:
                return False
            expires = now + timedelta(seconds=lease_seconds)
            session.add(GenerationSlot(user_id=user_id, slot_id=slot_id, expires_at=expires))
            return True

    async def release(self, user_id: str, slot_id: str) -> None:
        async with self.db.unit_of_work() as session:
            await session.execute(
                delete(GenerationSlot).where(
                    GenerationSlot.user_id == user_id, GenerationSlot.slot_id == slot_id
                )
            )

    async def held(self, user_id: str) -> int:
        async with self.db.read() as session:
            count = await session.scalar(
                select(func.count()).where(
                    GenerationSlot.user_id == user_id, GenerationSlot.expires_at > utcnow()
                )
            )
        return count or 0
