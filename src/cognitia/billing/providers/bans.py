"""Where violation points and bans live (billing/ports.py BanStore): the process's Cache
and RateLimiter (Redis when configured: shared by every process), or rows of `violation`
and `ban` for servers without Redis, so a ban holds in every process there too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from cognitia.cache.ports import Cache, RateLimit, RateLimiter
from cognitia.config import BanSettings
from cognitia.db import Database
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id
from cognitia.models.ban import Ban, Violation

_BAN = "ban:"
_POINTS = "violations:"


class CacheBanStore:
    """Points in the RateLimiter's moving window, bans as expiring Cache keys."""

    def __init__(self, limiter: RateLimiter, cache: Cache, settings: BanSettings) -> None:
        self.limiter = limiter
        self.cache = cache
        self.rate = RateLimit(settings.threshold, settings.window_seconds)

    async def add_point(self, subject: str) -> bool:
        decision = await self.limiter.hit(_POINTS + subject, self.rate)
        return decision.remaining <= 0 or not decision.allowed

    async def ban(self, subject: str, *, until: float) -> None:
        ttl = max(1.0, until - utcnow().timestamp())
        await self.cache.set(_BAN + subject, str(until).encode(), ttl_seconds=ttl)
        await self._clear_points(subject)

    async def banned_until(self, subject: str) -> float | None:
        until = await self.cache.get(_BAN + subject)
        return None if until is None else float(until)

    async def lift(self, subject: str) -> None:
        await self.cache.delete(_BAN + subject)
        await self._clear_points(subject)

    async def _clear_points(self, subject: str) -> None:
        await self.limiter.clear(_POINTS + subject, self.rate)


class DatabaseBanStore:
    """A row per point (counted within the moving window) and a row per ban. Each step is
    its own short transaction, apart from the request's."""

    def __init__(self, db: Database, settings: BanSettings) -> None:
        self.db = db
        self.settings = settings

    async def add_point(self, subject: str) -> bool:
        now = utcnow()
        since = now - timedelta(seconds=self.settings.window_seconds)
        async with self.db.unit_of_work() as session:
            # Points that left the window are no longer needed.
            await session.execute(
                delete(Violation).where(Violation.subject == subject, Violation.at <= since)
            )
            session.add(Violation(id=new_id(), subject=subject, at=now))
            await session.flush()
            points = await session.scalar(
                select(func.count()).where(Violation.subject == subject, Violation.at > since)
            )
        return (points or 0) >= self.settings.threshold

    async def ban(self, subject: str, *, until: float) -> None:
        ends = datetime.fromtimestamp(until, UTC)
        async with self.db.unit_of_work() as session:
            insert_fn = sqlite.insert if self.db.is_sqlite else postgresql.insert
            stmt = insert_fn(Ban).values(subject=subject, until=ends)
            await session.execute(
                stmt.on_conflict_do_update(index_elements=["subject"], set_={"until": ends})
            )
            await session.execute(delete(Violation).where(Violation.subject == subject))

    async def banned_until(self, subject: str) -> float | None:
        async with self.db.read() as session:
            until = await session.scalar(select(Ban.until).where(Ban.subject == subject))
        if until is None or until <= utcnow():
            return None
        return until.timestamp()

    async def lift(self, subject: str) -> None:
        async with self.db.unit_of_work() as session:
            await session.execute(delete(Ban).where(Ban.subject == subject))
            await session.execute(delete(Violation).where(Violation.subject == subject))


async def delete_lapsed(db: Database, *, points_older_than: datetime) -> None:
    """The ban rows that ended and the points that left every window (billing.cleanup)."""
    async with db.unit_of_work() as session:
        await session.execute(delete(Ban).where(Ban.until <= utcnow()))
        await session.execute(delete(Violation).where(Violation.at <= points_older_than))
