"""/api/v2/subscription (the caller's plan and usage) and /api/v2/admin (plans, users' plans)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, status

from cognitia.auth.dependencies import AdminUser, CurrentUser
from cognitia.auth.schemas import ResourceId
from cognitia.billing import service
from cognitia.billing.deps import QuotasDep
from cognitia.billing.schemas import (
    Grants,
    PlanAssign,
    PlanCreate,
    PlanRead,
    PlanUpdate,
    SubscriptionRead,
    UsageRead,
)
from cognitia.http.deps import SessionDep

router = APIRouter(prefix="/api/v2/subscription", tags=["subscription"])
admin_router = APIRouter(prefix="/api/v2/admin", tags=["admin"])

PlanPath = Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,32}$")]
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"description": "Not authenticated"}}
_CHANGE: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    409: {"description": "no_subscription, subscription_ended, managed_by_stripe"},
}
_ADMIN: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    403: {"description": "admin_required"},
    404: {"description": "user_not_found, plan_not_found"},
    422: {"description": "validation_error"},
}


@router.get("/plans")
async def list_plans(session: SessionDep) -> list[PlanRead]:
    """The public plans, in pricing-page order; no sign-in needed."""
    plans = await service.list_plans(session, public_only=True)
    return [PlanRead.model_validate(p) for p in plans]


@router.get("/current", responses=_ERRORS)
async def get_current(
    user: CurrentUser, session: SessionDep, quotas: QuotasDep
) -> SubscriptionRead:
    return await service.current(session, quotas, user_id=user.id)


@router.get("/usage", responses=_ERRORS)
async def get_usage(user: CurrentUser, session: SessionDep, quotas: QuotasDep) -> UsageRead:
    """Today's and this month's counters (UTC) against the plan's limits."""
    return await service.usage(session, quotas, user_id=user.id)


@router.post("/cancel", responses=_CHANGE)
async def cancel(user: CurrentUser, session: SessionDep, quotas: QuotasDep) -> SubscriptionRead:
    """Cancel at the end of the current period (at once for a plan without one)."""
    return await service.cancel(session, quotas, user_id=user.id)


@router.post("/reactivate", responses=_CHANGE)
async def reactivate(user: CurrentUser, session: SessionDep, quotas: QuotasDep) -> SubscriptionRead:
    """Undo a cancellation before the period ends."""
    return await service.reactivate(session, quotas, user_id=user.id)


# -- admin -----------------------------------------------------------------------------


@admin_router.get("/plans", responses=_ADMIN)
async def admin_list_plans(_: AdminUser, session: SessionDep) -> list[PlanRead]:
    """Every plan, hidden ones (`public: false`) included."""
    plans = await service.list_plans(session, public_only=False)
    return [PlanRead.model_validate(p) for p in plans]


@admin_router.post(
    "/plans",
    status_code=status.HTTP_201_CREATED,
    responses={**_ADMIN, 409: {"description": "plan_exists, stripe_price_taken"}},
)
async def create_plan(data: PlanCreate, _: AdminUser, session: SessionDep) -> PlanRead:
    """A new plan; put people on it with PUT /admin/users/{user_id}/subscription."""
    return PlanRead.model_validate(await service.create_plan(session, data=data))


@admin_router.patch(
    "/plans/{plan_id}", responses={**_ADMIN, 409: {"description": "stripe_price_taken"}}
)
async def update_plan(
    plan_id: PlanPath, data: PlanUpdate, _: AdminUser, session: SessionDep
) -> PlanRead:
    """Change a plan's price or limits; everyone on it gets the new limits at once."""
    return PlanRead.model_validate(await service.update_plan(session, plan_id=plan_id, data=data))


@admin_router.put("/users/{user_id}/subscription", responses=_ADMIN)
async def assign_plan(
    user_id: ResourceId, data: PlanAssign, _: AdminUser, session: SessionDep, quotas: QuotasDep
) -> SubscriptionRead:
    return await service.assign_plan(session, quotas, user_id=user_id, data=data)


@admin_router.put("/users/{user_id}/grants", responses=_ADMIN)
async def set_grants(
    user_id: ResourceId, data: Grants, _: AdminUser, session: SessionDep, quotas: QuotasDep
) -> SubscriptionRead:
    """Extra quota on top of the user's plan (replaces the previous grant)."""
    return await service.set_grants(session, quotas, user_id=user_id, data=data)


@admin_router.get("/users/{user_id}/usage", responses=_ADMIN)
async def user_usage(
    user_id: ResourceId, _: AdminUser, session: SessionDep, quotas: QuotasDep
) -> UsageRead:
    return await service.usage_of(session, quotas, user_id=user_id)
