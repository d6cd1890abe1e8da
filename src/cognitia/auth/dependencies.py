"""Who is calling: `Authorization: Bearer <access token or API key>` on every API route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cognitia.auth import api_keys, service
from cognitia.auth.service import Principal
from cognitia.errors import AdminRequired, Unauthorized
from cognitia.http.deps import RuntimeDep, SessionDep
from cognitia.models.user import User

_bearer = HTTPBearer(auto_error=False, description="An access token or an API key (cgk_...).")


async def get_principal(
    session: SessionDep,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise Unauthorized()
    token = credentials.credentials
    if api_keys.looks_like_key(token):
        return await api_keys.authenticate(session, raw_key=token)
    return await service.authenticate_access_token(session, runtime, token=token)


CurrentPrincipal = Annotated[Principal, Depends(get_principal, scope="function")]


async def get_user(principal: CurrentPrincipal) -> User:
    return principal.user


CurrentUser = Annotated[User, Depends(get_user, scope="function")]


async def get_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise AdminRequired()
    return user


AdminUser = Annotated[User, Depends(get_admin, scope="function")]
