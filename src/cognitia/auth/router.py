"""/api/v2/auth and /api/v2/api-keys."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse

from cognitia.auth import api_keys, service
from cognitia.auth.dependencies import CurrentPrincipal, CurrentUser, PlanFeaturesDep
from cognitia.auth.schemas import (
    Accepted,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    EmailRequest,
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    ResetPasswordRequest,
    ResourceId,
    TokenPair,
    TokenRequest,
    UserRead,
)
from cognitia.errors import InvalidToken
from cognitia.http.deps import ClientIp, DbDep, RateLimiterDep, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v2/auth", tags=["auth"])
keys_router = APIRouter(prefix="/api/v2/api-keys", tags=["api keys"])


def _errors(*codes: int) -> dict[int | str, dict[str, object]]:
    return {code: {"description": "Error body: {error, detail}"} for code in codes}


@router.post("/register", status_code=status.HTTP_201_CREATED, responses=_errors(409, 422))
async def register(data: RegisterRequest, session: SessionDep, settings: SettingsDep) -> UserRead:
    """Create an account and mail a verification link; on a development instance with the
    console mail backend, the first account is an admin verified at once (`is_verified`)."""
    user = await service.sign_up(session, settings, data=data)
    return UserRead.model_validate(user)


@router.post("/verify-email", responses=_errors(401))
async def verify_email(data: TokenRequest, session: SessionDep) -> UserRead:
    return UserRead.model_validate(await service.verify_email(session, token=data.token))


@router.get(
    "/verify-email",
    response_model=UserRead,
    responses={**_errors(401), 303: {"description": "A browser is sent to the web UI."}},
    summary="Verify from the e-mailed link",
)
async def verify_email_link(
    token: str, request: Request, session: SessionDep
) -> UserRead | RedirectResponse:
    """JSON for an API client (curl); a browser following the e-mailed link is sent on to
    the web UI's sign-in page, told whether the link worked."""
    browser = "text/html" in request.headers.get("accept", "")
    try:
        user = await service.verify_email(session, token=token)
    except InvalidToken:
        if browser:
            return RedirectResponse("/login?verify=invalid", status_code=status.HTTP_303_SEE_OTHER)
        raise
    if browser:
        return RedirectResponse("/login?verify=ok", status_code=status.HTTP_303_SEE_OTHER)
    return UserRead.model_validate(user)


@router.post("/resend-verification", status_code=status.HTTP_202_ACCEPTED)
async def resend_verification(
    data: EmailRequest,
    session: SessionDep,
    limiter: RateLimiterDep,
    settings: SettingsDep,
    ip: ClientIp,
) -> Accepted:
    client = service.Client(ip)
    await service.resend_verification(session, limiter, settings, email=data.email, client=client)
    return Accepted(detail="If the address has an unverified account, a new link is on its way.")


@router.post("/login", responses=_errors(401, 403, 429))
async def login(  # noqa: PLR0913 - the body and its dependencies
    data: LoginRequest,
    request: Request,
    session: SessionDep,
    limiter: RateLimiterDep,
    settings: SettingsDep,
    ip: ClientIp,
) -> TokenPair:
    client = service.Client(ip=ip, user_agent=request.headers.get("user-agent", ""))
    return await service.login(session, limiter, settings, credentials=data, client=client)


@router.post("/refresh", responses=_errors(401, 403))
async def refresh(
    data: RefreshRequest, session: SessionDep, db: DbDep, settings: SettingsDep
) -> TokenPair:
    return await service.refresh(session, db, settings, refresh_token=data.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=_errors(401))
async def logout(principal: CurrentPrincipal, session: SessionDep) -> None:
    await service.logout(session, principal=principal)


@router.post("/request-password-reset", status_code=status.HTTP_202_ACCEPTED)
async def request_password_reset(
    data: EmailRequest,
    session: SessionDep,
    limiter: RateLimiterDep,
    settings: SettingsDep,
    ip: ClientIp,
) -> Accepted:
    client = service.Client(ip)
    await service.request_password_reset(
        session, limiter, settings, email=data.email, client=client
    )
    return Accepted(detail="If the address has an account, a reset link is on its way.")


@router.post("/reset-password", status_code=status.HTTP_204_NO_CONTENT, responses=_errors(401, 422))
async def reset_password(
    data: ResetPasswordRequest, session: SessionDep, settings: SettingsDep
) -> None:
    await service.reset_password(
        session, settings, token=data.token, new_password=data.new_password
    )


@router.get("/me", responses=_errors(401))
async def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@keys_router.post("", status_code=status.HTTP_201_CREATED, responses=_errors(401, 403, 422, 429))
async def create_api_key(  # noqa: PLR0913 - the body, the caller and the adapters used
    data: ApiKeyCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    limiter: RateLimiterDep,
    settings: SettingsDep,
    plan: PlanFeaturesDep,
) -> ApiKeyCreated:
    """Needs a signed-in session (not an API key), `current_password`, and a plan with
    API access (403 feature_not_in_plan)."""
    await plan.require_feature(session, user_id=principal.user.id, feature="api_access")
    key, raw = await api_keys.create(
        session, limiter, settings.auth, principal=principal, data=data
    )
    return ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), key=raw)


@keys_router.get("", responses=_errors(401))
async def list_api_keys(user: CurrentUser, session: SessionDep) -> list[ApiKeyRead]:
    keys = await api_keys.list_for_user(session, user=user)
    return [ApiKeyRead.model_validate(k) for k in keys]


@keys_router.delete("/{key_id}", responses=_errors(401, 404))
async def revoke_api_key(key_id: ResourceId, user: CurrentUser, session: SessionDep) -> ApiKeyRead:
    return ApiKeyRead.model_validate(await api_keys.revoke(session, user=user, key_id=key_id))
