"""Usage per day, user and model (`usage_daily`), aggregated from `llm_call` and
`audio_usage` by the daily job (billing/tasks.py), read by the admin dashboard.

A day is aggregated by replacing its rows in one transaction, so running it twice, or
again after late rows arrived, gives the same rows as running it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.billing import logic
from cognitia.models.audio_usage import AudioUsage
from cognitia.models.llm_call import LlmCall
from cognitia.models.subscription import Subscription
from cognitia.models.usage_daily import AUDIO_ROW, UsageDaily


@dataclass
class DayTotals:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_nanousd: int = 0
    audio_seconds: float = 0.0

    def add(self, row: UsageDaily) -> None:
        self.requests += row.requests
        self.prompt_tokens += row.prompt_tokens
        self.completion_tokens += row.completion_tokens
        self.cost_nanousd += row.cost_nanousd
        self.audio_seconds += row.audio_seconds


def bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


async def aggregate_day(session: AsyncSession, day: date, *, default_plan: str) -> int:
    """Replace `day`'s rows; returns how many were written."""
    await session.execute(delete(UsageDaily).where(UsageDaily.day == day))
    rows: dict[tuple[str, str], UsageDaily] = {}
    for user_id, model, calls, prompt, completion, cost in await _calls(session, day):
        rows[(user_id, model)] = UsageDaily(
            day=day,
            user_id=user_id,
            model=model,
            requests=int(calls),
            prompt_tokens=int(prompt or 0),
            completion_tokens=int(completion or 0),
            cost_nanousd=int(cost or 0),
            audio_seconds=0.0,
        )
    for user_id, seconds in await _audio(session, day):
        rows[(user_id, AUDIO_ROW)] = UsageDaily(
            day=day,
            user_id=user_id,
            model=AUDIO_ROW,
            requests=0,
            prompt_tokens=0,
            completion_tokens=0,
            cost_nanousd=0,
            audio_seconds=float(seconds or 0.0),
        )
    plans = await _plans_of(session, {u for u, _ in rows}, default_plan)
    for (user_id, _), row in rows.items():
        row.plan_id = plans[user_id]
    session.add_all(rows.values())
    return len(rows)


CallTotals = tuple[str, str, int, int | None, int | None, int | None]


async def _calls(session: AsyncSession, day: date) -> Sequence[CallTotals]:
    """Per user and model: calls, prompt and completion tokens, cost."""
    start, end = bounds(day)
    query = (
        select(
            LlmCall.user_id,
            LlmCall.model,
            func.count(),
            func.sum(LlmCall.prompt_tokens),
            func.sum(LlmCall.completion_tokens),
            func.sum(LlmCall.cost_nanousd),
        )
        .where(LlmCall.user_id.is_not(None), LlmCall.created_at >= start, LlmCall.created_at < end)
        .group_by(LlmCall.user_id, LlmCall.model)
    )
    rows = (await session.execute(query)).all()
    return [(str(u), m, int(n), p, c, cost) for u, m, n, p, c, cost in rows]


async def _audio(session: AsyncSession, day: date) -> Sequence[tuple[str, float]]:
    query = select(AudioUsage.user_id, AudioUsage.synthesized_s + AudioUsage.transcribed_s).where(
        AudioUsage.day == day
    )
    return [(str(u), float(seconds)) for u, seconds in (await session.execute(query)).all()]


async def _plans_of(session: AsyncSession, user_ids: set[str], default_plan: str) -> dict[str, str]:
    """Each user's plan now (the day has just ended, so it is the day's last plan)."""
    query = select(Subscription).where(Subscription.user_id.in_(sorted(user_ids)))
    subscriptions = {s.user_id: s for s in (await session.scalars(query)).all()}
    now = datetime.now(UTC)
    return {
        u: logic.plan_id_for(subscriptions.get(u), default_plan=default_plan, now=now)
        for u in user_ids
    }


async def read_days(
    session: AsyncSession, start: date, end: date, user_id: str | None
) -> Sequence[UsageDaily]:
    """The rows of the days from `start` to `end`, both included."""
    query = select(UsageDaily).where(UsageDaily.day >= start, UsageDaily.day <= end)
    if user_id is not None:
        query = query.where(UsageDaily.user_id == user_id)
    query = query.order_by(UsageDaily.day, UsageDaily.user_id, UsageDaily.model)
    return (await session.scalars(query)).all()
