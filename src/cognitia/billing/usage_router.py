"""/api/v2/admin: usage per day (what the admin dashboard reads) and lifting a ban."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from sqlalchemy import select

from cognitia.auth.dependencies import AdminCaller, AdminUser
from cognitia.auth.schemas import ResourceId
from cognitia.billing import metrics
from cognitia.billing.bans import user_subject
from cognitia.billing.errors import UserNotFound
from cognitia.billing.rates import bans_of, key_subject
from cognitia.billing.repository import get_user
from cognitia.billing.usage_schemas import DailyUsage, DailyUsageRow, DailyUsageTotals
from cognitia.errors import Unprocessable
from cognitia.http.deps import DbDep, SessionDep
from cognitia.llm.logic import nanousd_to_usd
from cognitia.models.api_key import ApiKey

router = APIRouter(prefix="/api/v2/admin", tags=["admin"])

MAX_DAYS = 366
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated"},
    403: {"description": "admin_required"},
}


@router.get(
    "/usage/daily",
    responses={**_ERRORS, 422: {"description": "validation_error: bad, inverted or long range"}},
)
async def daily_usage(
    _: AdminUser,
    session: SessionDep,
    start: Annotated[date, Query()],
    end: Annotated[date, Query()],
    user_id: Annotated[str | None, Query(min_length=1, max_length=36)] = None,
) -> DailyUsage:
    """The usage_daily rows from `start` to `end` (UTC days, both included, at most 366),
    written each night at 00:05 UTC for the day before; totals over the rows."""
    if end < start:
        raise Unprocessable("`end` is before `start`.")
    if (end - start).days + 1 > MAX_DAYS:
        raise Unprocessable(f"At most {MAX_DAYS} days at once.")
    rows = await metrics.read_days(session, start, end, user_id)
    totals = metrics.DayTotals()
    for row in rows:
        totals.add(row)
    return DailyUsage(
        start=start,
        end=end,
        rows=[DailyUsageRow.model_validate(r) for r in rows],
        totals=DailyUsageTotals(**vars(totals), cost_usd=nanousd_to_usd(totals.cost_nanousd)),
    )


@router.delete(
    "/users/{user_id}/ban",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_ERRORS, 404: {"description": "user_not_found"}},
)
async def lift_ban(user_id: ResourceId, _: AdminCaller, db: DbDep, request: Request) -> None:
    """End the user's temporary ban, and their API keys' (each counts on its own), now;
    their violation points are forgotten."""
    # No request transaction: without Redis the bans are rows, written in a transaction of
    # their own, which a write lock held by the request would keep waiting (SQLite).
    async with db.read() as session:
        if await get_user(session, user_id) is None:
            raise UserNotFound()
        hashes = list(
            await session.scalars(select(ApiKey.key_hash).where(ApiKey.user_id == user_id))
        )
    bans = bans_of(request)
    for subject in [user_subject(user_id), *(key_subject(h) for h in hashes)]:
        await bans.lift(subject)
