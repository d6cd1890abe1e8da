"""API keys: created once and shown once, stored as SHA-256, scoped, expiring, revocable."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.auth import repository, service
from cognitia.auth.errors import ApiKeyExpired
from cognitia.auth.schemas import ApiKeyCreate
from cognitia.auth.service import Principal
from cognitia.cache.ports import RateLimiter
from cognitia.config import AuthSettings
from cognitia.errors import AccountDisabled, InvalidToken, NotFound
from cognitia.events.revocations import Revocation, revoke_after_commit
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_secret, sha256_hex
from cognitia.models.api_key import ApiKey
from cognitia.models.user import User

KEY_PREFIX = "cgk_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def looks_like_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX)


async def create(
    session: AsyncSession,
    limiter: RateLimiter,
    settings: AuthSettings,
    *,
    principal: Principal,
    data: ApiKeyCreate,
) -> tuple[ApiKey, str]:
    """A new key for the caller, who must be signed in and give the current password."""
    await service.confirm_password(
        limiter, settings, principal=principal, password=data.current_password
    )
    raw, days = new_secret(KEY_PREFIX), data.expires_in_days
    key = ApiKey(
        user_id=principal.user.id,
        name=data.name,
        prefix=raw[:12],
        key_hash=sha256_hex(raw),
        scope=data.scope,
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    await repository.add_api_key(session, key)
    return key, raw


async def list_for_user(session: AsyncSession, *, user: User) -> list[ApiKey]:
    return await repository.list_api_keys(session, user.id)


async def revoke(session: AsyncSession, *, user: User, key_id: str) -> ApiKey:
    key = await repository.get_api_key(session, key_id, user.id)
    if key is None:
        raise NotFound("No such API key.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        revoke_after_commit(session, Revocation(user_id=user.id))  # its open streams end
    return key


async def authenticate(session: AsyncSession, *, raw_key: str) -> Principal:
    found = await repository.get_api_key_by_hash(session, sha256_hex(raw_key))
    if found is None or found[0].revoked_at is not None:
        raise InvalidToken("The API key is invalid or has been revoked.")
    key, user = found
    if key.expires_at is not None and key.expires_at <= utcnow():
        raise ApiKeyExpired()
    if not user.is_active:
        raise AccountDisabled()
    return Principal(
        user=user, api_key_id=key.id, api_key_last_used_at=key.last_used_at, api_key_scope=key.scope
    )


def needs_touch(key_last_used: datetime | None) -> bool:
    """Writing last_used_at on every call would make each read a write; once a minute."""
    return key_last_used is None or utcnow() - key_last_used > LAST_USED_RESOLUTION


async def touch(session: AsyncSession, *, key_id: str) -> None:
    await repository.touch_api_key(session, key_id, now=utcnow())
