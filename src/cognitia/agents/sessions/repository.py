"""Queries of coaching sessions and of their chats' messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.models.coaching_session import CoachingSession, SessionStatus
from cognitia.models.message import AuthorType, Message

# Earlier sessions with the same coach whose open action items a new session carries.
CARRY_FROM_SESSIONS = 5
TRANSCRIPT_LIMIT = 1_000


async def get_for_user(
    session: AsyncSession, *, session_id: str, user_id: str
) -> CoachingSession | None:
    row = await session.get(CoachingSession, session_id)
    return row if row is not None and row.user_id == user_id else None


async def lock_for_user(
    session: AsyncSession, *, session_id: str, user_id: str
) -> CoachingSession | None:
    """The row locked for an update (PostgreSQL; SQLite serializes writers anyway)."""
    stmt = (
        select(CoachingSession)
        .where(CoachingSession.id == session_id, CoachingSession.user_id == user_id)
        .with_for_update()
    )
    return (await session.scalars(stmt)).first()


async def page(
    session: AsyncSession, *, user_id: str, limit: int, offset: int
) -> tuple[list[CoachingSession], int]:
    mine = CoachingSession.user_id == user_id
    total = await session.scalar(select(func.count()).select_from(CoachingSession).where(mine))
    stmt = (
        select(CoachingSession)
        .where(mine)
        .order_by(CoachingSession.started_at.desc(), CoachingSession.id)
        .limit(limit)
        .offset(offset)
    )
    return list((await session.scalars(stmt)).all()), int(total or 0)


async def turn_counts(session: AsyncSession, chat_ids: Sequence[str]) -> dict[str, int]:
    """The person's messages per chat."""
    if not chat_ids:
        return {}
    stmt = (
        select(Message.chat_id, func.count())
        .where(Message.chat_id.in_(chat_ids), Message.author_type == AuthorType.USER)
        .group_by(Message.chat_id)
    )
    return {chat_id: int(count) for chat_id, count in (await session.execute(stmt)).all()}


async def transcript(session: AsyncSession, chat_id: str) -> list[Message]:
    stmt = (
        select(Message)
        .where(Message.chat_id == chat_id)
        .order_by(Message.seq)
        .limit(TRANSCRIPT_LIMIT)
    )
    return list((await session.scalars(stmt)).all())


async def earlier_ended(
    session: AsyncSession, *, user_id: str, character_id: str
) -> list[CoachingSession]:
    """The latest ended sessions of this person with this coach (JSON null and SQL NULL
    differ between backends, so the caller skips those without notes)."""
    stmt = (
        select(CoachingSession)
        .where(
            CoachingSession.user_id == user_id,
            CoachingSession.character_id == character_id,
            CoachingSession.status == SessionStatus.ENDED,
        )
        .order_by(CoachingSession.ended_at.desc())
        .limit(CARRY_FROM_SESSIONS)
    )
    return list((await session.scalars(stmt)).all())


async def active_count(session: AsyncSession, *, user_id: str | None) -> int:
    stmt = select(func.count()).select_from(CoachingSession)
    stmt = stmt.where(CoachingSession.status == SessionStatus.ACTIVE)
    if user_id is not None:
        stmt = stmt.where(CoachingSession.user_id == user_id)
    return int(await session.scalar(stmt) or 0)


async def turns_since(session: AsyncSession, *, user_id: str | None, since: datetime) -> int:
    """The people's messages in session chats since `since`."""
    stmt = (
        select(func.count())
        .select_from(Message)
        .join(CoachingSession, CoachingSession.chat_id == Message.chat_id)
        .where(Message.author_type == AuthorType.USER, Message.created_at >= since)
    )
    if user_id is not None:
        stmt = stmt.where(CoachingSession.user_id == user_id)
    return int(await session.scalar(stmt) or 0)
