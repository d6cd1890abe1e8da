"""SQL for usage records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Row, SQLColumnExpression, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.models.llm_call import LlmCall


@dataclass(frozen=True)
class UsageTotals:
    """Calls of one day and model (and user, when grouped by user)."""

    day: str
    model: str
    user_id: str | None
    calls: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    cost_nanousd: int


def add_calls(session: AsyncSession, rows: list[LlmCall]) -> None:
    session.add_all(rows)


def _day(session: AsyncSession) -> ColumnElement[str]:
    """The UTC calendar day of a call, as text 'YYYY-MM-DD' on both backends."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", LlmCall.created_at), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", LlmCall.created_at)


async def usage_by_day_and_model(
    session: AsyncSession, *, since: datetime, user_id: str | None = None, by_user: bool = False
) -> list[UsageTotals]:
    day = _day(session).label("day")
    keys: list[SQLColumnExpression[str | None]] = [day, LlmCall.model]
    if by_user:
        keys.append(LlmCall.user_id)
    query = (
        select(
            *keys,
            func.count().label("calls"),
            func.sum(LlmCall.prompt_tokens).label("prompt_tokens"),
            func.sum(LlmCall.completion_tokens).label("completion_tokens"),
            func.sum(LlmCall.cost_nanousd).label("cost_nanousd"),
            func.sum(case((LlmCall.outcome != "ok", 1), else_=0)).label("failed"),
        )
        .where(LlmCall.created_at >= since)
        .group_by(*keys)
        .order_by(day, LlmCall.model)
    )
    if user_id is not None:
        query = query.where(LlmCall.user_id == user_id)
    return [_totals(row, by_user=by_user) for row in (await session.execute(query)).all()]


def _totals(row: Row[*tuple[object, ...]], *, by_user: bool) -> UsageTotals:
    # A SUM of NULLs is NULL, and drivers may hand back Decimal: normalised here, once.
    return UsageTotals(
        day=row.day,
        model=row.model,
        user_id=row.user_id if by_user else None,
        calls=int(row.calls),
        failed=int(row.failed or 0),
        prompt_tokens=int(row.prompt_tokens or 0),
        completion_tokens=int(row.completion_tokens or 0),
        cost_nanousd=int(row.cost_nanousd or 0),
    )
