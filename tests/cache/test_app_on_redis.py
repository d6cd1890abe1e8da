"""The app with a Redis URL keeps its login counters in Redis and closes its connections."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio


@pytest.fixture
def db_backend() -> str:
    return "sqlite"  # the database plays no part here


async def _client_ids(redis: Redis, db: int) -> set[str]:
    """Ids of the connections to this Redis database (other test runs use other numbers)."""
    return {str(c["id"]) for c in await redis.client_list() if str(c.get("db")) == str(db)}


async def test_login_attempts_are_counted_in_redis_and_connections_closed(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    settings = make_settings(
        database_url,
        tmp_path,
        redis_url=redis_url,
        jobs={"backend": "embedded"},
        auth={"login_attempts_per_account": 2},
    )
    wrong = {"email": "nobody@example.com", "password": "WrongPass123"}
    redis = Redis.from_url(redis_url)
    db = redis.get_connection_kwargs()["db"]
    try:
        before = await _client_ids(redis, db)
        async with running_app(settings) as (application, client):
            statuses = [
                (await client.post("/api/v2/auth/login", json=wrong)).status_code for _ in range(3)
            ]
            assert await _client_ids(redis, db) - before  # the app holds connections
        assert statuses == [401, 401, 429]
        keys = [key.decode() for key in await redis.keys("*")]
        assert any("nobody@example.com" in key for key in keys), keys

        async def all_closed() -> bool:
            return not (await _client_ids(redis, db) - before)

        await eventually(all_closed, timeout=5)
        assert application.state.runtime is not None  # alive, so nothing was closed by GC
    finally:
        await redis.aclose()
