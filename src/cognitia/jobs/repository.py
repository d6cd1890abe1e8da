"""SQL for the embedded runner's job table."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.db import insert_for
from cognitia.kit.ids import new_id
from cognitia.models.job import Job, JobStatus


async def insert(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a job row; False when its dedup_key exists already."""
    values = {"id": new_id(), **values}
    insert_fn = insert_for(session)
    stmt = insert_fn(Job).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    result = await session.execute(stmt.returning(Job.id))
    return result.scalar_one_or_none() is not None


def _claimable(now: datetime) -> Any:
    pending = and_(Job.status == JobStatus.PENDING, Job.run_at <= now)
    abandoned = and_(Job.status == JobStatus.RUNNING, Job.locked_until < now)
    return or_(pending, abandoned)


async def claim(
    session: AsyncSession, *, limit: int, worker_id: str, now: datetime, lease: timedelta
) -> list[Job]:
    """Lock up to `limit` due jobs (or jobs whose runner died) for this worker."""
    ids_query = (
        select(Job.id)
        .where(_claimable(now))
        .order_by(Job.run_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.scalars(ids_query)).all())
    if not ids:
        return []
    stmt = (
        update(Job)
        .where(Job.id.in_(ids))
        .values(
            status=JobStatus.RUNNING,
            attempts=Job.attempts + 1,
            locked_by=worker_id,
            locked_until=now + lease,
        )
        .returning(Job)
        .execution_options(synchronize_session=False)
    )
    return list((await session.scalars(stmt)).all())


async def renew(session: AsyncSession, *, job_id: str, worker_id: str, until: datetime) -> None:
    await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker_id, Job.status == JobStatus.RUNNING)
        .values(locked_until=until)
    )


async def finish(
    session: AsyncSession,
    *,
    job_id: str,
    worker_id: str,
    values: dict[str, Any],
) -> None:
    """Record the outcome, unless another worker took the job over meanwhile."""
    await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker_id, Job.status == JobStatus.RUNNING)
        .values(locked_by=None, locked_until=None, **values)
    )


async def delete_finished_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(
        delete(Job).where(Job.status == JobStatus.DONE, Job.finished_at < cutoff)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def get(session: AsyncSession, job_id: str) -> Job | None:
    return await session.get(Job, job_id)


async def backlog(session: AsyncSession) -> dict[str, int]:
    """Jobs not finished (waiting, retrying or running), by name."""
    rows = await session.execute(
        select(Job.name, func.count())
        .where(Job.status.in_([JobStatus.PENDING, JobStatus.RUNNING]))
        .group_by(Job.name)
    )
    return {name: int(count) for name, count in rows.all()}
