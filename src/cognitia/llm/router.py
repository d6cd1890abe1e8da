"""/api/v2/usage (mine) and /api/v2/admin/usage (everyone's), and /api/v2/models."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from cognitia.auth.dependencies import AdminUser, CurrentUser
from cognitia.http.deps import RuntimeDep, SessionDep
from cognitia.llm import usage
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
async def catalogue(_: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    """Catalogue models (with context window and prices) and lanes with their chains."""
    cat = runtime.models.catalogue
    models = [
        {
            "id": name,
            "provider": m.provider,
            "context_window": m.context_window,
            "input_price_per_mtok": m.input_price,
            "output_price_per_mtok": m.output_price,
            "capabilities": m.capabilities,
            "fallbacks": m.fallbacks,
        }
        for name, m in cat.models.items()
    ]
    return {"models": models, "lanes": cat.lanes, "default_embedder": cat.default_embedder}
