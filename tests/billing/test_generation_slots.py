"""Generation slots, in Redis and in the database: at most `limit` held at once, and a
lease that lapses frees its slot (a process that died mid-reply)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from sqlalchemy import update

from cognitia.billing.ports import GenerationSlots
from cognitia.billing.providers.slots import DatabaseGenerationSlots, RedisGenerationSlots
from cognitia.config import Settings
from cognitia.kit.clock import utcnow
from cognitia.models.usage_daily import GenerationSlot
from cognitia.runtime import Runtime, build_runtime
from tests.support.factories import create_user

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def bare(settings: Settings) -> AsyncIterator[Runtime]:
    built = build_runtime(settings)
    yield built
    await built.close()


async def _limit_holds(slots: GenerationSlots, user_id: str) -> list[bool]:
    taken = [await slots.acquire(user_id, s, limit=2, lease_seconds=60) for s in "abc"]
    await slots.release(user_id, "a")
    return [*taken, await slots.acquire(user_id, "d", limit=2, lease_seconds=60)]


async def test_database_slots_hold_the_limit_and_lapse(bare: Runtime) -> None:
    user = await create_user(bare)
    slots = DatabaseGenerationSlots(bare.db)

    assert await _limit_holds(slots, user.id) == [True, True, False, True]
    async with bare.db.unit_of_work() as session:  # the process holding them died
        past = utcnow() - timedelta(seconds=1)
        await session.execute(update(GenerationSlot).values(expires_at=past))
    assert await slots.held(user.id) == 0
    assert await slots.acquire(user.id, "e", limit=1, lease_seconds=60)


async def test_redis_slots_hold_the_limit_and_lapse(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        slots = RedisGenerationSlots(redis)
        assert await _limit_holds(slots, "u1") == [True, True, False, True]
        key = slots.prefix + "u1"
        await redis.zadd(key, {"b": 0, "d": 0})  # leases of a process that died
        assert await slots.held("u1") == 0
        assert await slots.acquire("u1", "e", limit=1, lease_seconds=60)
    finally:
        await redis.aclose()
