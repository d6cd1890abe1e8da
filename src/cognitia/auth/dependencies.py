"""Who is calling: `Authorization: Bearer <access token or API key>` on every API route,
and whether an API key's scope reaches the route (auth/scopes.py)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.auth import api_keys, scopes, service
from cognitia.auth.service import Principal
from cognitia.config import Settings
from cognitia.db import Database
from cognitia.errors import AdminRequired, Unauthorized
from cognitia.http.deps import DbDep, SessionDep, SettingsDep
from cognitia.models.user import User

_bearer = HTTPBearer(auto_error=False, description="An access token or an API key (cgk_...).")
# The raw credentials, for a stream that checks them again later (chats/events_router.py).
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: BearerCredentials,
) -> Principal:
    principal = await _authenticate(session, settings, credentials)
    scopes.check(principal.api_key_scope, _route_path(request))
    if principal.api_key_id and api_keys.needs_touch(principal.api_key_last_used_at):
        await api_keys.touch(session, key_id=principal.api_key_id)
    return principal


async def _authenticate(
    session: AsyncSession, settings: Settings, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    return await _authenticate_token(
        session, settings, credentials.credentials if credentials else ""
    )


async def _authenticate_token(session: AsyncSession, settings: Settings, token: str) -> Principal:
    if not token:
        raise Unauthorized()
    if api_keys.looks_like_key(token):
        return await api_keys.authenticate(session, raw_key=token)
    return await service.authenticate_access_token(session, settings, token=token)


CurrentPrincipal = Annotated[Principal, Depends(get_principal, scope="function")]


def _route_path(request: Request) -> str:
    """The matched route's template (FastAPI sets it before dependencies run)."""
    path = getattr(request.scope.get("route"), "path", None)
    return path if isinstance(path, str) else request.url.path


async def get_caller(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    credentials: BearerCredentials,
) -> Principal:
    """Authenticate in a read-only session of its own, closed before the endpoint runs.

    For endpoints that hold the request open while a model answers (streams): they must
    not keep a transaction open meanwhile (on SQLite a writer holds the write lock), and
    a read-only session lets any number of callers authenticate beside a writer. The user
    object is detached: read it, don't change it.
    """
    token = credentials.credentials if credentials else ""
    return await authenticate_token(db, settings, token, route_path=_route_path(request))


async def authenticate_token(
    db: Database, settings: Settings, token: str, *, route_path: str
) -> Principal:
    """`get_caller` for a raw token (access token or API key) given outside a header: a
    browser's WebSocket cannot set one, and sends it in its first frame (a live call)."""
    async with db.read() as session:
        principal = await _authenticate_token(session, settings, token)
    scopes.check(principal.api_key_scope, route_path)
    if principal.api_key_id and api_keys.needs_touch(principal.api_key_last_used_at):
        async with db.unit_of_work() as session:
            await api_keys.touch(session, key_id=principal.api_key_id)
    return principal


Caller = Annotated[Principal, Depends(get_caller)]


async def get_user(principal: CurrentPrincipal) -> User:
    return principal.user


CurrentUser = Annotated[User, Depends(get_user, scope="function")]


async def get_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise AdminRequired()
    return user


AdminUser = Annotated[User, Depends(get_admin, scope="function")]


async def get_admin_caller(caller: Caller) -> User:
    """An admin authenticated as `get_caller` does (no request transaction): for admin
    routes whose work writes in transactions of its own, which a request holding the
    write lock (SQLite) would keep waiting."""
    if not caller.user.is_admin:
        raise AdminRequired()
    return caller.user


AdminCaller = Annotated[User, Depends(get_admin_caller)]


class PlanFeatures(Protocol):
    """Whether the caller's plan has a feature; filled by the billing domain's Quotas,
    which sits above auth, so auth names only this shape (docs/plans.md)."""

    async def require_feature(self, session: AsyncSession, *, user_id: str, feature: str) -> None:
        """Raise a 403 (feature_not_in_plan) unless the user's plan has `feature`."""
        ...


def get_plan_features(request: Request) -> PlanFeatures:
    features: PlanFeatures = request.app.state.runtime.quotas
    return features


PlanFeaturesDep = Annotated[PlanFeatures, Depends(get_plan_features)]
