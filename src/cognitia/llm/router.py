"""/api/v2/usage (mine) and /api/v2/admin/usage (everyone's), and /api/v2/models."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cognitia.auth.dependencies import AdminUser, CurrentUser
from cognitia.http.deps import ModelsDep, SessionDep
from cognitia.llm import usage
from cognitia.llm.schemas import CatalogueRead
from cognitia.llm.usage import UsageReport

router = APIRouter(prefix="/api/v2", tags=["models and usage"])

Days = Annotated[int, Query(ge=1, le=366, description="How many days back, today included.")]


@router.get("/usage")
async def my_usage(user: CurrentUser, session: SessionDep, days: Days = 30) -> UsageReport:
    return await usage.report(session, days=days, user_id=user.id)


@router.get("/admin/usage")
async def all_usage(
    _: AdminUser,
    session: SessionDep,
    days: Days = 30,
    user_id: Annotated[str | None, Query(max_length=36)] = None,
) -> UsageReport:
    return await usage.report(session, days=days, user_id=user_id, by_user=True)


@router.get("/models")
async def catalogue(_: CurrentUser, models: ModelsDep) -> CatalogueRead:
    """Catalogue models (with context window and prices) and lanes with their chains."""
    return CatalogueRead.of(models.catalogue)
