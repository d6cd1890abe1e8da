"""All SQL of plans and subscriptions, and the counts quotas are checked against."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.models.audio_usage import AudioUsage
from cognitia.models.character import Character
from cognitia.models.llm_call import LlmCall
from cognitia.models.plan import Plan
from cognitia.models.subscription import Subscription, UsageCounter
from cognitia.models.user import User


async def list_plans(session: AsyncSession, *, public_only: bool) -> Sequence[Plan]:
    query = select(Plan).order_by(Plan.position, Plan.id)
    if public_only:
        query = query.where(Plan.public.is_(True))
    return (await session.scalars(query)).all()


async def get_plan(session: AsyncSession, plan_id: str) -> Plan | None:
    return await session.get(Plan, plan_id)


async def plan_with_price(session: AsyncSession, price_id: str) -> Plan | None:
    return await session.scalar(select(Plan).where(Plan.stripe_price_id == price_id))


async def get_subscription(session: AsyncSession, user_id: str) -> Subscription | None:
    return await session.get(Subscription, user_id)


async def get_user(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


def add(session: AsyncSession, row: Subscription | Plan) -> None:
    session.add(row)


async def lock_user(session: AsyncSession, user_id: str) -> None:
    """Serialise a user's count-then-create steps (PostgreSQL; SQLite's writers already are).

    FOR NO KEY UPDATE: it must not wait on the KEY SHARE lock that inserting a row
    referencing the user takes, or two creators would deadlock.
    """
    await session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


async def count_characters(session: AsyncSession, user_id: str) -> int:
    query = select(func.count()).select_from(Character).where(Character.owner_id == user_id)
    return int(await session.scalar(query) or 0)


async def count_voices_used(session: AsyncSession, user_id: str, voices: frozenset[str]) -> int:
    """How many of `voices` the user's characters speak with (each counted once)."""
    query = select(func.count(func.distinct(Character.voice_model))).where(
        Character.owner_id == user_id, Character.voice_model.in_(voices)
    )
    return int(await session.scalar(query) or 0)


async def cost_since(session: AsyncSession, user_id: str, since: datetime) -> int:
    """What the user's model calls cost since `since`, in nano-USD (llm_call rows)."""
    query = select(func.coalesce(func.sum(LlmCall.cost_nanousd), 0)).where(
        LlmCall.user_id == user_id, LlmCall.created_at >= since
    )
    return int(await session.scalar(query) or 0)


async def delete_counters_before(session: AsyncSession, period: str) -> None:
    """Drop counters of days before `period` (ISO dates sort as text)."""
    await session.execute(delete(UsageCounter).where(UsageCounter.period < period))


async def audio_seconds_on(session: AsyncSession, user_id: str, day: date) -> float:
    """Seconds of audio synthesised and transcribed for the user on that UTC day (the
    voice meter's rows, voice/metering.py)."""
    total = await session.scalar(
        select(AudioUsage.synthesized_s + AudioUsage.transcribed_s).where(
            AudioUsage.user_id == user_id, AudioUsage.day == day
        )
    )
    return float(total or 0.0)
