"""Usage reports: calls, tokens and cost by day and model."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.kit.clock import utcnow
from cognitia.llm import logic, repository


class UsageRow(BaseModel):
    day: str
    model: str
    user_id: str | None = None
    calls: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


class UsageReport(BaseModel):
    days: int
    rows: list[UsageRow]
    total_calls: int
    total_tokens: int
    total_cost_usd: float


async def report(
    session: AsyncSession, *, days: int, user_id: str | None, by_user: bool = False
) -> UsageReport:
    since = (utcnow() - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    raw = await repository.usage_by_day_and_model(
        session, since=since, user_id=user_id, by_user=by_user
    )
    rows = [
        UsageRow(
            day=r.day,
            model=r.model,
            user_id=r.user_id,
            calls=r.calls,
            failed=r.failed,
            prompt_tokens=r.prompt_tokens,
            completion_tokens=r.completion_tokens,
            cost_usd=logic.nanousd_to_usd(r.cost_nanousd),
        )
        for r in raw
    ]
    total_nanos = sum(r.cost_nanousd for r in raw)
    return UsageReport(
        days=days,
        rows=rows,
        total_calls=sum(r.calls for r in rows),
        total_tokens=sum(r.prompt_tokens + r.completion_tokens for r in rows),
        total_cost_usd=logic.nanousd_to_usd(total_nanos),
    )
