"""Quota counters as rows of `usage_counter`, for servers without Redis.

Each step is its own short transaction, apart from the request's: a unit taken stays
taken when the request later fails, until it is given back explicitly.
"""

from __future__ import annotations

from sqlalchemy import Update, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.db import Database
from cognitia.models.subscription import UsageCounter


class DatabaseQuotaCounters:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def take(self, user_id: str, metric: str, period: str, *, limit: int) -> bool:
        async with self.db.unit_of_work() as session:
            await _ensure_row(session, user_id, metric, period)
            # The WHERE is re-checked under the row lock (PostgreSQL) or the write lock
            # (SQLite), so the count never passes the limit.
            result = await session.execute(
                _row_update(user_id, metric, period)
                .where(UsageCounter.count < limit)
                .values(count=UsageCounter.count + 1)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

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


async def _ensure_row(session: AsyncSession, user_id: str, metric: str, period: str) -> None:
    dialect = session.get_bind().dialect.name
    insert_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"user_id": user_id, "metric": metric, "period": period, "count": 0}
    stmt = insert_fn(UsageCounter).values(**values)
    key = ["user_id", "metric", "period"]
    await session.execute(stmt.on_conflict_do_nothing(index_elements=key))
