"""Quota counters as rows of `usage_counter`, for servers without Redis.

Each step is its own short transaction, apart from the request's: a unit taken stays
taken when the request later fails, until it is given back explicitly.
"""

from __future__ import annotations

from sqlalchemy import Update, select, update

from cognitia.db import Database, insert_for
from cognitia.models.subscription import UsageCounter


class DatabaseQuotaCounters:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def take(self, user_id: str, metric: str, period: str, *, limit: int) -> bool:
        if limit <= 0:
            return False
        async with self.db.unit_of_work() as session:
            # One statement: the day's first unit makes the row, each later one adds to it
            # while under the limit. The WHERE is checked under the row lock (PostgreSQL)
            # or the write lock (SQLite), so the count never passes the limit.
            insert = insert_for(session)(UsageCounter).values(
                user_id=user_id, metric=metric, period=period, count=1
            )
            counted = insert.on_conflict_do_update(
                index_elements=["user_id", "metric", "period"],
                set_={"count": UsageCounter.count + 1},
                where=UsageCounter.count < limit,
            ).returning(UsageCounter.count)
            return (await session.execute(counted)).first() is not None

    async def give_back(self, user_id: str, metric: str, period: str) -> None:
        async with self.db.unit_of_work() as session:
            await session.execute(
                _row_update(user_id, metric, period)
                .where(UsageCounter.count > 0)
                .values(count=UsageCounter.count - 1)
            )

    async def used(self, user_id: str, metric: str, period: str) -> int:
        async with self.db.read() as session:
            count = await session.scalar(
                select(UsageCounter.count).where(
                    UsageCounter.user_id == user_id,
                    UsageCounter.metric == metric,
                    UsageCounter.period == period,
                )
            )
        return count or 0


def _row_update(user_id: str, metric: str, period: str) -> Update:
    return update(UsageCounter).where(
        UsageCounter.user_id == user_id,
        UsageCounter.metric == metric,
        UsageCounter.period == period,
    )
