"""What the daily-quota check adds to a message: one `take` on each counter backend.

    python -m benchmarks.quota_check [--takes 500] [--concurrency 1,20] [--redis redis://...]

Takes units from one user's counter, N at a time, on the backends the server can use:
the `usage_counter` table on a fresh migrated SQLite file (the embedded default) and
Redis (a Lua script per take), when a Redis URL is given. Each take is what
`Quotas.charge_message` spends on counting (it also reads the plan: one indexed read).

Columns: backend, takes at once, p50 and p99 latency of one take (ms), takes per second.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from redis.asyncio import Redis

from benchmarks.support import percentile
from cognitia.auth import service as auth
from cognitia.auth.schemas import RegisterRequest
from cognitia.billing.ports import QuotaCounters
from cognitia.billing.providers.database import DatabaseQuotaCounters
from cognitia.billing.providers.redis import RedisQuotaCounters
from cognitia.config import Settings
from cognitia.db import Database, create_engine
from cognitia.migrations import runner


async def _timed_take(counters: QuotaCounters, user_id: str, out: list[float]) -> None:
    started = time.perf_counter()
    await counters.take(user_id, "messages", "bench", limit=2**31 - 1)
    out.append((time.perf_counter() - started) * 1000)


async def measure(counters: QuotaCounters, user_id: str, takes: int, at_once: int) -> str:
    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(takes // at_once):
        await asyncio.gather(*(_timed_take(counters, user_id, latencies) for _ in range(at_once)))
    rate = len(latencies) / (time.perf_counter() - started)
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    return f"{at_once:>8} | {p50:8.2f} | {p99:8.2f} | {rate:9.0f}"


async def _user(db: Database, data_dir: Path) -> str:
    settings = Settings(data_dir=data_dir)
    data = RegisterRequest(email="bench@example.com", password="a-long-password-1")
    async with db.unit_of_work() as session:
        return (await auth.register(session, settings, data=data, verified=True)).id


async def main(
    url: str, data_dir: Path, takes: int, levels: list[int], redis_url: str | None
) -> None:
    db = Database(create_engine(url))
    user_id = await _user(db, data_dir)
    print("backend | at once  | p50 ms   | p99 ms   | takes/s")
    for level in levels:
        print("sqlite  | " + await measure(DatabaseQuotaCounters(db), user_id, takes, level))
    if redis_url:
        redis = Redis.from_url(redis_url)
        for level in levels:
            print("redis   | " + await measure(RedisQuotaCounters(redis), user_id, takes, level))
        await redis.delete(f"cognitia:quota:{user_id}:messages:bench")
        await redis.aclose()
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takes", type=int, default=500)
    parser.add_argument("--concurrency", default="1,20")
    parser.add_argument("--redis", default=None, help="a Redis URL (a database you can write)")
    args = parser.parse_args()
    levels = [int(n) for n in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite+aiosqlite:///{tmp}/bench.db"
        runner.upgrade(database)  # runs its own event loop: before ours
        asyncio.run(main(database, Path(tmp), args.takes, levels, args.redis))
