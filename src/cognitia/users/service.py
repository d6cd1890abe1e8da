"""Profile changes, account deletion, and enabling or disabling users."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.auth import service as auth
from cognitia.auth.service import Principal
from cognitia.cache.ports import RateLimiter
from cognitia.characters import service as characters
from cognitia.config import AuthSettings, Settings
from cognitia.errors import NotFound
from cognitia.knowledge import service as knowledge
from cognitia.models.user import User
from cognitia.users import repository
from cognitia.users.schemas import UserUpdate


async def update_me(
    session: AsyncSession,
    limiter: RateLimiter,
    settings: Settings,
    *,
    principal: Principal,
    data: UserUpdate,
) -> str | None:
    """Apply a profile change; returns the address awaiting verification, if one changed."""
    user = principal.user
    if data.first_name is not None:
        user.first_name = data.first_name
    if data.last_name is not None:
        user.last_name = data.last_name
    if data.new_password is not None or (data.email and data.email != user.email):
        await auth.confirm_password(
            limiter, settings.auth, principal=principal, password=data.current_password
        )
    if data.new_password is not None:
        await auth.set_password(
            session,
            settings,
            user=user,
            new_password=data.new_password,
            keep_session=principal.session_id,
        )
    if data.email and data.email != user.email:
        await auth.start_email_change(session, settings, user=user, email=data.email)
        return data.email
    return None


async def delete_me(
    session: AsyncSession,
    limiter: RateLimiter,
    settings: AuthSettings,
    *,
    principal: Principal,
    password: str,
) -> None:
    """Delete the caller's account: a signed-in session and the current password only."""
    await auth.confirm_password(limiter, settings, principal=principal, password=password)
    user = principal.user
    # Rows cascade with the user; files in the blob store go once the deletion commits.
    await characters.forget_blobs_of(session, owner=user)
    await knowledge.forget_documents_of(session, owner=user)
    await repository.delete_user(session, user.id)


async def page(
    session: AsyncSession, *, limit: int, offset: int, query: str | None
) -> tuple[list[User], int]:
    return await repository.page(session, limit=limit, offset=offset, query=query)


async def set_active(session: AsyncSession, *, user_id: str, active: bool) -> User:
    user = await auth.get_user(session, user_id)
    if user is None:
        raise NotFound("No such user.")
    user.is_active = active
    if not active:
        await auth.revoke_all_sessions(session, user=user, reason="disabled")
    return user
