"""The Cache contract, on the in-process adapter and on a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from cognitia.cache.ports import Cache
from cognitia.cache.providers.memory import MemoryCache
from cognitia.cache.providers.redis import RedisCache
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

SHORT_TTL = 0.05
LONG_TTL = 60.0


@pytest_asyncio.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "memory":
        yield MemoryCache()
        return
    redis = Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisCache(redis)
    await redis.aclose()


async def test_get_of_a_missing_key_is_none(cache: Cache) -> None:
    assert await cache.get("missing") is None


async def test_set_then_get_and_overwrite(cache: Cache) -> None:
    await cache.set("k", b"one", ttl_seconds=LONG_TTL)
    assert await cache.get("k") == b"one"

    await cache.set("k", b"\x00two\xff", ttl_seconds=LONG_TTL)
    assert await cache.get("k") == b"\x00two\xff"


async def test_add_sets_only_when_absent(cache: Cache) -> None:
    assert await cache.add("k", b"first", ttl_seconds=LONG_TTL) is True
    assert await cache.add("k", b"second", ttl_seconds=LONG_TTL) is False
    assert await cache.get("k") == b"first"


async def test_delete(cache: Cache) -> None:
    await cache.set("k", b"v", ttl_seconds=LONG_TTL)
    await cache.set("other", b"w", ttl_seconds=LONG_TTL)

    await cache.delete("k")
    await cache.delete("never-set")

    assert await cache.get("k") is None
    assert await cache.get("other") == b"w"
    assert await cache.add("k", b"again", ttl_seconds=LONG_TTL) is True


async def test_values_expire_after_their_ttl(cache: Cache) -> None:
    await cache.set("short", b"v", ttl_seconds=SHORT_TTL)
    await cache.set("long", b"w", ttl_seconds=LONG_TTL)

    async def expired() -> bool:
        return await cache.get("short") is None

    await eventually(expired, timeout=5)
    assert await cache.get("long") == b"w"


async def test_add_succeeds_again_once_the_value_expired(cache: Cache) -> None:
    assert await cache.add("lock", b"a", ttl_seconds=SHORT_TTL) is True

    async def taken_again() -> bool:
        return await cache.add("lock", b"b", ttl_seconds=LONG_TTL)

    await eventually(taken_again, timeout=5)
    assert await cache.get("lock") == b"b"


async def test_memory_cache_stays_within_max_entries() -> None:
    cache = MemoryCache(max_entries=3)
    for n in range(5):
        await cache.set(f"k{n}", b"v", ttl_seconds=LONG_TTL)

    present = [n for n in range(5) if await cache.get(f"k{n}") is not None]
    assert len(present) <= 3
    assert 4 in present  # the newest value is never the one evicted


async def test_two_redis_caches_share_values(redis_url: str) -> None:
    """Two processes' caches (two clients) see one another's writes."""
    first_client, second_client = Redis.from_url(redis_url), Redis.from_url(redis_url)
    first, second = RedisCache(first_client), RedisCache(second_client)
    try:
        await first.set("shared", b"v", ttl_seconds=LONG_TTL)
        assert await second.get("shared") == b"v"

        assert await second.add("once", b"second", ttl_seconds=LONG_TTL) is True
        assert await first.add("once", b"first", ttl_seconds=LONG_TTL) is False

        await first.delete("shared")
        assert await second.get("shared") is None
    finally:
        await first_client.aclose()
        await second_client.aclose()
