"""What GET /admin/usage/daily answers: the usage_daily rows of a range, and their totals."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class DailyUsageRow(BaseModel):
    """One user's use of one model on one UTC day; `model` is "" on the row holding the
    day's audio seconds (audio is metered per user and day, not per model)."""

    model_config = ConfigDict(from_attributes=True)

    day: date
    user_id: str
    model: str
    plan_id: str | None
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost_nanousd: int
    audio_seconds: float


class DailyUsageTotals(BaseModel):
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost_nanousd: int
    cost_usd: float
    audio_seconds: float


class DailyUsage(BaseModel):
    start: date
    end: date
    rows: list[DailyUsageRow]
    totals: DailyUsageTotals
