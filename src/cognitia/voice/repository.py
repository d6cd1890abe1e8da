"""SQL for voice: the per-user, per-day audio meter (audio_usage)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.db import insert_for
from cognitia.models.audio_usage import AudioUsage


async def add_audio(
    session: AsyncSession, *, user_id: str, day: date, synthesized_s: float, transcribed_s: float
) -> None:
    """Add seconds to the user's row of the day, creating it if needed.

    One INSERT ... ON CONFLICT DO UPDATE that adds to the stored value: atomic on both
    backends (PostgreSQL locks the conflicting row; SQLite has one writer), so requests
    that meter at once never lose an increment, nor race to create the row."""
    insert_fn = insert_for(session)
    stmt = insert_fn(AudioUsage).values(
        user_id=user_id, day=day, synthesized_s=synthesized_s, transcribed_s=transcribed_s
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "day"],
        set_={
            "synthesized_s": AudioUsage.synthesized_s + stmt.excluded.synthesized_s,
            "transcribed_s": AudioUsage.transcribed_s + stmt.excluded.transcribed_s,
        },
    )
    await session.execute(stmt)


async def audio_by_day(
    session: AsyncSession, *, since: date, user_id: str | None
) -> list[AudioUsage]:
    """Rows from `since` on, oldest first; everyone's when user_id is None."""
    query = (
        select(AudioUsage)
        .where(AudioUsage.day >= since)
        .order_by(AudioUsage.day, AudioUsage.user_id)
    )
    if user_id is not None:
        query = query.where(AudioUsage.user_id == user_id)
    return list((await session.scalars(query)).all())
