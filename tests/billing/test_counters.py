"""Quota counters on each backend: the database (SQLite, PostgreSQL) and Redis.

The race tests are the quota's promise: however many requests arrive at once, from one
process or several, exactly the limit get in.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from cognitia.auth import service as auth
from cognitia.auth.schemas import RegisterRequest
from cognitia.billing.ports import QuotaCounters
from cognitia.billing.providers.database import DatabaseQuotaCounters
from cognitia.billing.providers.redis import RedisQuotaCounters
from cognitia.db import Database, create_engine
from tests.conftest import make_settings

pytestmark = pytest.mark.asyncio

RACERS = 100


@pytest_asyncio.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(create_engine(database_url, pool_size=20))
    yield database
    await database.dispose()


@pytest_asyncio.fixture
async def user_id(db: Database, database_url: str, tmp_path: object) -> str:
    settings = make_settings(database_url, tmp_path)  # type: ignore[arg-type]
    data = RegisterRequest(email="counted@example.com", password="a-long-password-1")
    async with db.unit_of_work() as session:
        user = await auth.register(session, settings, data=data, verified=True)
    return user.id


@pytest_asyncio.fixture
async def redis_clients(redis_url: str) -> AsyncIterator[tuple[Redis, Redis]]:
    """Two clients: as two API processes would hold."""
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    yield first, second
    await first.aclose()
    await second.aclose()


async def _fill(counters: QuotaCounters, user_id: str, units: int, limit: int) -> None:
    for _ in range(units):
        assert await counters.take(user_id, "messages", "2026-12-06", limit=limit)


async def _race(racers: list[QuotaCounters], user_id: str, limit: int) -> list[bool]:
    takes = [c.take(user_id, "messages", "2026-12-06", limit=limit) for c in racers]
    return list(await asyncio.gather(*takes))


async def _counts_to_the_limit_and_gives_back(counters: QuotaCounters, user_id: str) -> None:
    await _fill(counters, user_id, 3, limit=3)
    assert not await counters.take(user_id, "messages", "2026-12-06", limit=3)
    assert await counters.used(user_id, "messages", "2026-12-06") == 3
    await counters.give_back(user_id, "messages", "2026-12-06")
    assert await counters.take(user_id, "messages", "2026-12-06", limit=3)
    # Another period, metric or user is another counter.
    assert await counters.take(user_id, "messages", "2026-12-07", limit=3)
    assert await counters.used(user_id, "audio", "2026-12-06") == 0
    # A limit of zero takes nothing, not even a day's first unit.
    assert not await counters.take(user_id, "messages", "2026-12-08", limit=0)
    assert await counters.used(user_id, "messages", "2026-12-08") == 0


async def _never_below_zero(counters: QuotaCounters, user_id: str) -> None:
    await counters.give_back(user_id, "messages", "2026-12-06")
    assert await counters.used(user_id, "messages", "2026-12-06") == 0
    await _fill(counters, user_id, 1, limit=1)
    assert not await counters.take(user_id, "messages", "2026-12-06", limit=1)


async def test_database_counts_to_the_limit_and_gives_back(db: Database, user_id: str) -> None:
    await _counts_to_the_limit_and_gives_back(DatabaseQuotaCounters(db), user_id)


async def test_database_never_counts_below_zero(db: Database, user_id: str) -> None:
    await _never_below_zero(DatabaseQuotaCounters(db), user_id)


async def test_database_race_for_the_last_unit_has_one_winner(db: Database, user_id: str) -> None:
    counters = DatabaseQuotaCounters(db)
    await _fill(counters, user_id, 49, limit=50)

    won = await _race([counters] * RACERS, user_id, limit=50)

    assert won.count(True) == 1
    assert await counters.used(user_id, "messages", "2026-12-06") == 50


async def test_database_race_for_the_first_unit_has_one_winner(db: Database, user_id: str) -> None:
    counters = DatabaseQuotaCounters(db)  # no row yet: the racers all try to make it

    won = await _race([counters] * RACERS, user_id, limit=1)

    assert won.count(True) == 1
    assert await counters.used(user_id, "messages", "2026-12-06") == 1


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_redis_counts_to_the_limit_and_gives_back(
    redis_clients: tuple[Redis, Redis], user_id: str
) -> None:
    await _counts_to_the_limit_and_gives_back(RedisQuotaCounters(redis_clients[0]), user_id)


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_redis_never_counts_below_zero(
    redis_clients: tuple[Redis, Redis], user_id: str
) -> None:
    await _never_below_zero(RedisQuotaCounters(redis_clients[0]), user_id)


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_redis_race_across_two_processes_has_one_winner(
    redis_clients: tuple[Redis, Redis], user_id: str
) -> None:
    one, other = (RedisQuotaCounters(client) for client in redis_clients)
    await _fill(one, user_id, 49, limit=50)

    won = await _race([one, other] * (RACERS // 2), user_id, limit=50)

    assert won.count(True) == 1
    assert await other.used(user_id, "messages", "2026-12-06") == 50
