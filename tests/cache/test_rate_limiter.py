"""The RateLimiter contract, in memory and on a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from cognitia.cache.ports import RateLimit, RateLimiter
from cognitia.cache.providers.limits import LimitsRateLimiter

pytestmark = pytest.mark.asyncio

THREE_PER_MINUTE = RateLimit(limit=3, window_seconds=60)


@pytest_asyncio.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        rate_limiter = LimitsRateLimiter.in_memory()
    else:
        rate_limiter = LimitsRateLimiter.on_redis(request.getfixturevalue("redis_url"))
    yield rate_limiter
    await rate_limiter.close()


async def _exhaust(limiter: RateLimiter, key: str, rate: RateLimit) -> None:
    for _ in range(rate.limit):
        assert (await limiter.hit(key, rate)).allowed


async def test_hits_within_the_limit_are_allowed_and_counted(limiter: RateLimiter) -> None:
    decisions = [await limiter.hit("k", THREE_PER_MINUTE) for _ in range(3)]

    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    assert all(d.retry_after_seconds == 0 for d in decisions)


async def test_the_hit_past_the_limit_is_refused_with_retry_after(limiter: RateLimiter) -> None:
    await _exhaust(limiter, "k", THREE_PER_MINUTE)

    refused = await limiter.hit("k", THREE_PER_MINUTE)

    assert refused.allowed is False
    assert refused.remaining == 0
    assert 1 <= refused.retry_after_seconds <= 60


async def test_clear_resets_the_count(limiter: RateLimiter) -> None:
    await _exhaust(limiter, "k", THREE_PER_MINUTE)
    assert not (await limiter.hit("k", THREE_PER_MINUTE)).allowed

    await limiter.clear("k", THREE_PER_MINUTE)

    decision = await limiter.hit("k", THREE_PER_MINUTE)
    assert decision.allowed
    assert decision.remaining == 2


async def test_keys_are_counted_separately(limiter: RateLimiter) -> None:
    await _exhaust(limiter, "alice@example.com", THREE_PER_MINUTE)
    assert not (await limiter.hit("alice@example.com", THREE_PER_MINUTE)).allowed

    decision = await limiter.hit("bob@example.com", THREE_PER_MINUTE)
    assert decision.allowed
    assert decision.remaining == 2


async def test_limits_of_different_size_on_one_key_are_separate(limiter: RateLimiter) -> None:
    one_per_minute = RateLimit(limit=1, window_seconds=60)
    assert (await limiter.hit("k", one_per_minute)).allowed
    assert not (await limiter.hit("k", one_per_minute)).allowed

    assert (await limiter.hit("k", THREE_PER_MINUTE)).allowed


async def test_two_redis_limiters_share_one_count(redis_url: str) -> None:
    """Two processes' limiters on one Redis count hits together."""
    first, second = LimitsRateLimiter.on_redis(redis_url), LimitsRateLimiter.on_redis(redis_url)
    try:
        assert (await first.hit("k", THREE_PER_MINUTE)).allowed
        assert (await second.hit("k", THREE_PER_MINUTE)).allowed
        assert (await first.hit("k", THREE_PER_MINUTE)).remaining == 0
        assert not (await second.hit("k", THREE_PER_MINUTE)).allowed

        await second.clear("k", THREE_PER_MINUTE)
        assert (await first.hit("k", THREE_PER_MINUTE)).allowed
    finally:
        await first.close()
        await second.close()


async def test_two_memory_limiters_do_not_share() -> None:
    """The in-process limiter is per process: the contrast that makes the test above meaningful."""
    first, second = LimitsRateLimiter.in_memory(), LimitsRateLimiter.in_memory()
    await _exhaust(first, "k", THREE_PER_MINUTE)

    assert (await second.hit("k", THREE_PER_MINUTE)).allowed
