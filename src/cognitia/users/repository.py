"""SQL for user administration."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.events.revocations import Revocation, revoke_after_commit
from cognitia.models.user import User


async def page(
    session: AsyncSession, *, limit: int, offset: int, query: str | None
) -> tuple[list[User], int]:
    stmt = select(User)
    if query:
        stmt = stmt.where(User.email.contains(query.lower(), autoescape=True))
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = await session.scalars(
        stmt.order_by(User.created_at, User.id).limit(limit).offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def delete_user(session: AsyncSession, user_id: str) -> None:
    """Foreign keys cascade: every table that belongs to a user references it ON DELETE CASCADE."""
    await session.execute(delete(User).where(User.id == user_id))
    revoke_after_commit(session, Revocation(user_id=user_id))  # their open streams end
