"""/api/v2/users/me and /api/v2/admin/users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from cognitia.auth.dependencies import AdminUser, CurrentPrincipal, CurrentUser
from cognitia.auth.schemas import ResourceId, Text, UserRead
from cognitia.http.deps import RateLimiterDep, SessionDep, SettingsDep
from cognitia.users import service
from cognitia.users.schemas import AccountDelete, UserPage, UserUpdate, UserUpdated

router = APIRouter(prefix="/api/v2/users", tags=["users"])
admin_router = APIRouter(prefix="/api/v2/admin/users", tags=["admin"])

# PostgreSQL takes OFFSET as a 32-bit integer.
MAX_OFFSET = 2**31 - 1

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "Not authenticated"},
    404: {"description": "Not found"},
}
# Changing the e-mail or password, or deleting the account (docs/security.md).
_ACCOUNT_ACTION_ERRORS: dict[int | str, dict[str, object]] = {
    **_ERRORS,
    403: {"description": "session_required: an API key cannot do this"},
    422: {"description": "Validation error"},
    429: {"description": "Too many wrong passwords"},
}


@router.get("/me", responses=_ERRORS)
async def get_me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.patch("/me", responses={**_ACCOUNT_ACTION_ERRORS, 409: {"description": "E-mail taken"}})
async def update_me(
    data: UserUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
    limiter: RateLimiterDep,
    settings: SettingsDep,
) -> UserUpdated:
    pending = await service.update_me(session, limiter, settings, principal=principal, data=data)
    base = UserRead.model_validate(principal.user)
    revoked = data.new_password is not None
    return UserUpdated(**base.model_dump(), pending_email=pending, credentials_revoked=revoked)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT, responses=_ACCOUNT_ACTION_ERRORS)
async def delete_me(
    data: AccountDelete,
    principal: CurrentPrincipal,
    session: SessionDep,
    limiter: RateLimiterDep,
    settings: SettingsDep,
) -> None:
    """Needs a signed-in session (not an API key) and `current_password` in the body."""
    await service.delete_me(
        session, limiter, settings.auth, principal=principal, password=data.current_password
    )


@admin_router.get("", responses=_ERRORS)
async def list_users(
    _: AdminUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    q: Annotated[Text | None, Query(max_length=254)] = None,
) -> UserPage:
    users, total = await service.page(session, limit=limit, offset=offset, query=q)
    items = [UserRead.model_validate(u) for u in users]
    return UserPage(items=items, total=total, limit=limit, offset=offset)


@admin_router.post("/{user_id}/disable", responses=_ERRORS)
async def disable_user(user_id: ResourceId, _: AdminUser, session: SessionDep) -> UserRead:
    return UserRead.model_validate(await service.set_active(session, user_id=user_id, active=False))


@admin_router.post("/{user_id}/enable", responses=_ERRORS)
async def enable_user(user_id: ResourceId, _: AdminUser, session: SessionDep) -> UserRead:
    return UserRead.model_validate(await service.set_active(session, user_id=user_id, active=True))
