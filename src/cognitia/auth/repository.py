"""SQL for accounts, sessions, refresh tokens, e-mail tokens and API keys."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.errors import EmailTaken
from cognitia.events.revocations import Revocation, revoke_after_commit
from cognitia.models.api_key import ApiKey
from cognitia.models.auth_session import AuthSession
from cognitia.models.email_token import EmailToken, EmailTokenPurpose
from cognitia.models.refresh_token import RefreshToken
from cognitia.models.user import User


async def get_user(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.scalars(select(User).where(User.email == email))).one_or_none()


async def any_user(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(exists().select_from(User))))


# Any constant shared by every process: it names the lock, nothing else uses it.
_REGISTRATION_LOCK = 0x636F676E  # "cogn"


async def lock_registrations(session: AsyncSession) -> None:
    """Serialise registrations until the transaction ends, so a read of the user table
    that a registration decides on stays true until it commits.

    PostgreSQL: a transaction-level advisory lock (READ COMMITTED would let two
    registrations both see an empty table). SQLite: nothing to do, a writing transaction
    starts with BEGIN IMMEDIATE (db.py) and so already holds the database's one write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(_REGISTRATION_LOCK)))


async def add_user(session: AsyncSession, user: User) -> User:
    """Insert; a concurrent registration of the same address becomes EmailTaken."""
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise EmailTaken() from None
    return user


async def flush_email_change(session: AsyncSession) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise EmailTaken() from None


async def add_session(session: AsyncSession, auth_session: AuthSession) -> AuthSession:
    """Insert a login session; flushed, so its id is there for the tokens that carry it."""
    session.add(auth_session)
    await session.flush()
    return auth_session


def add_refresh_token(session: AsyncSession, token: RefreshToken) -> None:
    session.add(token)


async def get_session_with_user(
    session: AsyncSession, session_id: str
) -> tuple[AuthSession, User] | None:
    row = (
        await session.execute(
            select(AuthSession, User)
            .join(User, User.id == AuthSession.user_id)
            .where(AuthSession.id == session_id)
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


async def get_refresh_token(session: AsyncSession, jti: str) -> RefreshToken | None:
    """Locked until the transaction ends, so two requests cannot both spend the token."""
    return await session.get(RefreshToken, jti, with_for_update=True)


async def revoke_session(
    session: AsyncSession, session_id: str, *, reason: str, now: datetime
) -> None:
    # Here and below: the lowest level where access ends, so every caller's revocation
    # also ends the open event streams it concerns (events/revocations.py).
    revoke_after_commit(session, Revocation(session_id=session_id))
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


async def revoke_user_sessions(
    session: AsyncSession, user_id: str, *, reason: str, now: datetime, keep: str | None = None
) -> None:
    revoke_after_commit(session, Revocation(user_id=user_id))
    stmt = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep:
        stmt = stmt.where(AuthSession.id != keep)
    await session.execute(stmt.values(revoked_at=now, revoked_reason=reason))


async def get_email_token(
    session: AsyncSession, token_hash: str, purpose: EmailTokenPurpose
) -> EmailToken | None:
    """Locked until the transaction ends, so two requests cannot both spend the link."""
    query = (
        select(EmailToken)
        .where(EmailToken.token_hash == token_hash, EmailToken.purpose == purpose)
        .with_for_update()
    )
    return (await session.scalars(query)).one_or_none()


def add_email_token(session: AsyncSession, token: EmailToken) -> None:
    session.add(token)


async def use_email_tokens(
    session: AsyncSession, user_id: str, purpose: EmailTokenPurpose, *, now: datetime
) -> None:
    """Mark every open token of this purpose used: only the newest link should work."""
    await session.execute(
        update(EmailToken)
        .where(
            EmailToken.user_id == user_id,
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
        )
        .values(used_at=now)
    )


async def add_api_key(session: AsyncSession, key: ApiKey) -> ApiKey:
    session.add(key)
    await session.flush()
    return key


async def get_api_key_by_hash(session: AsyncSession, key_hash: str) -> tuple[ApiKey, User] | None:
    row = (
        await session.execute(
            select(ApiKey, User)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == key_hash)
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


async def list_api_keys(session: AsyncSession, user_id: str) -> list[ApiKey]:
    query = select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at.desc())
    return list((await session.scalars(query)).all())


async def get_api_key(session: AsyncSession, key_id: str, user_id: str) -> ApiKey | None:
    query = select(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user_id)
    return (await session.scalars(query)).one_or_none()


# Ended sessions are kept this long so a token of a just-ended session still gets its
# precise answer (account_disabled, reuse detected) instead of a bare invalid_token.
ENDED_SESSION_RETENTION = timedelta(days=1)


async def delete_expired(session: AsyncSession, now: datetime) -> None:
    """Remove what can no longer be used: expired tokens and long-ended sessions."""
    await session.execute(delete(RefreshToken).where(RefreshToken.expires_at < now))
    await session.execute(
        delete(EmailToken).where(or_(EmailToken.expires_at < now, EmailToken.used_at.is_not(None)))
    )
    await session.execute(
        delete(AuthSession).where(
            or_(
                AuthSession.expires_at < now,
                AuthSession.revoked_at < now - ENDED_SESSION_RETENTION,
            )
        )
    )


async def revoke_user_api_keys(session: AsyncSession, user_id: str, *, now: datetime) -> None:
    revoke_after_commit(session, Revocation(user_id=user_id))
    await session.execute(
        update(ApiKey)
        .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def touch_api_key(session: AsyncSession, key_id: str, *, now: datetime) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
