"""The process's Quotas for an endpoint (kept here, not in http/deps.py, so the generic
request dependencies do not import billing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cognitia.auth.dependencies import Caller
from cognitia.billing.quotas import Quotas
from cognitia.http.deps import DbDep


def get_quotas(request: Request) -> Quotas:
    quotas: Quotas = request.app.state.runtime.quotas
    return quotas


QuotasDep = Annotated[Quotas, Depends(get_quotas)]


async def require_api_access(caller: Caller, db: DbDep, quotas: QuotasDep) -> None:
    """For routers whose every route is API access (/v1): feature_not_in_plan without it."""
    async with db.read() as session:
        await quotas.require_feature(session, user_id=caller.user.id, feature="api_access")
