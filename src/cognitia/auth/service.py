"""Accounts and sessions: register, verify, log in, refresh, log out, reset, authenticate."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.auth import emails, first_user, passwords, repository, tokens
from cognitia.auth.errors import SessionRequired
from cognitia.auth.schemas import LoginRequest, RegisterRequest, TokenPair
from cognitia.cache.ports import RateLimit, RateLimiter
from cognitia.config import AuthSettings, Settings
from cognitia.db import Database
from cognitia.errors import (
    AccountDisabled,
    EmailNotVerified,
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    TooManyRequests,
)
from cognitia.kit.clock import utcnow
from cognitia.models.api_key import ApiKeyScope
from cognitia.models.auth_session import AuthSession
from cognitia.models.email_token import EmailTokenPurpose
from cognitia.models.refresh_token import RefreshToken
from cognitia.models.user import Role, User

log = logging.getLogger(__name__)

# Verifying a password against this keeps a login for an unknown address as slow as
# one for a known address, so timing does not reveal which addresses have accounts.
_DUMMY_HASH: dict[str, str] = {}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, through a login session or an API key."""

    user: User
    session_id: str | None = None
    api_key_id: str | None = None
    api_key_last_used_at: datetime | None = None
    # None for a login session, which reaches everything its user may.
    api_key_scope: ApiKeyScope | None = None


async def register(
    session: AsyncSession,
    settings: Settings,
    *,
    data: RegisterRequest,
    role: Role = Role.USER,
    verified: bool = False,
) -> User:
    """Create an account; unless `verified`, mail a link to confirm its address."""
    passwords.check_policy(settings.auth, data.password, email=data.email)
    if await repository.get_user_by_email(session, data.email):
        raise EmailTaken()
    user = User(
        email=data.email,
        password_hash=await passwords.hash_password(settings.auth, data.password),
        first_name=data.first_name,
        last_name=data.last_name,
        role=role,
        email_verified_at=utcnow() if verified else None,
    )
    await repository.add_user(session, user)
    if not verified:
        await emails.send_verification(session, settings, user=user, email=user.email)
    return user


async def sign_up(session: AsyncSession, settings: Settings, *, data: RegisterRequest) -> User:
    """Register through the API: an account to verify by mail, or on a laptop instance's
    first sign-up an admin verified at once (first_user.py)."""
    if not await first_user.is_first_account(session, settings):
        return await register(session, settings, data=data)
    user = await register(session, settings, data=data, role=Role.ADMIN, verified=True)
    log.info("the first account is an admin, verified without a mailed link")
    return user


async def mark_verified(session: AsyncSession, *, email: str) -> User | None:
    user = await repository.get_user_by_email(session, email.strip().lower())
    if user is not None and user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


async def verify_email(session: AsyncSession, *, token: str) -> User:
    """Confirm an address: a new account's, or the new one of an e-mail change."""
    record = await emails.consume(session, token, EmailTokenPurpose.VERIFY)
    user = await repository.get_user(session, record.user_id)
    if user is None:
        raise InvalidToken()
    if record.email != user.email:
        user.email = record.email
        await repository.flush_email_change(session)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


async def resend_verification(
    session: AsyncSession,
    limiter: RateLimiter,
    settings: Settings,
    *,
    email: str,
    client: Client,
) -> None:
    """Send a fresh link; says nothing about whether the address has an account."""
    if not await _may_mail(limiter, settings.auth, email=email, client=client):
        return
    user = await repository.get_user_by_email(session, email)
    if user is not None and not user.is_verified and user.is_active:
        await emails.send_verification(session, settings, user=user, email=user.email)


async def _may_mail(
    limiter: RateLimiter, settings: AuthSettings, *, email: str, client: Client
) -> bool:
    """Limit e-mail a stranger can trigger: per IP a 429, per address silently.

    Silently, because a 429 for one address and not another would tell which have accounts.
    """
    window = settings.login_window_seconds
    await _limit(limiter, f"mail:ip:{client.ip}", RateLimit(settings.login_attempts_per_ip, window))
    decision = await limiter.hit(
        f"mail:address:{email}", RateLimit(settings.emails_per_address_per_hour, 3600)
    )
    return decision.allowed


@dataclass(frozen=True)
class Client:
    """Where a login comes from: rate limits use the IP, the session keeps the agent."""

    ip: str
    user_agent: str = ""


def _account_rate(settings: AuthSettings) -> RateLimit:
    return RateLimit(settings.login_attempts_per_account, settings.login_window_seconds)


async def login(
    session: AsyncSession,
    limiter: RateLimiter,
    settings: Settings,
    *,
    credentials: LoginRequest,
    client: Client,
) -> TokenPair:
    rules, email = settings.auth, credentials.email
    account_rate = _account_rate(rules)
    await _limit(
        limiter,
        f"login:ip:{client.ip}",
        RateLimit(rules.login_attempts_per_ip, rules.login_window_seconds),
    )
    await _limit(limiter, f"login:account:{email}", account_rate)
    user = await _check_credentials(session, rules, credentials)
    await limiter.clear(f"login:account:{email}", account_rate)
    return await _start_session(session, settings, user=user, user_agent=client.user_agent)


async def _check_credentials(
    session: AsyncSession, settings: AuthSettings, credentials: LoginRequest
) -> User:
    """The account the credentials open, or the reason they do not."""
    password = credentials.password
    user = await repository.get_user_by_email(session, credentials.email)
    if user is None:
        await passwords.verify_password(settings, await _dummy_hash(settings), password)
        raise InvalidCredentials()
    if not await passwords.verify_password(settings, user.password_hash, password):
        raise InvalidCredentials()
    if not user.is_active:
        raise AccountDisabled()
    if not user.is_verified:
        raise EmailNotVerified()
    return user


async def _limit(limiter: RateLimiter, key: str, rate: RateLimit) -> None:
    decision = await limiter.hit(key, rate)
    if not decision.allowed:
        raise TooManyRequests(
            "Too many attempts; try again later.", retry_after=decision.retry_after_seconds
        )


async def _dummy_hash(settings: AuthSettings) -> str:
    key = f"{settings.argon2_time_cost}:{settings.argon2_memory_kib}"
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = await passwords.hash_password(settings, "not-a-real-password-0")
    return _DUMMY_HASH[key]


async def _start_session(
    session: AsyncSession, settings: Settings, *, user: User, user_agent: str
) -> TokenPair:
    refresh_ttl = timedelta(days=settings.auth.refresh_token_days)
    # The header is the client's to write: keep what can be shown (PostgreSQL refuses NUL).
    agent = "".join(c for c in user_agent if c.isprintable())[:255]
    auth_session = await repository.add_session(
        session, AuthSession(user_id=user.id, expires_at=utcnow() + refresh_ttl, user_agent=agent)
    )
    return await _issue_pair(session, settings, user_id=user.id, session_id=auth_session.id)


async def _issue_pair(
    session: AsyncSession, settings: Settings, *, user_id: str, session_id: str
) -> TokenPair:
    secret = settings.jwt_secret.get_secret_value()
    access_ttl = timedelta(minutes=settings.auth.access_token_minutes)
    refresh_ttl = timedelta(days=settings.auth.refresh_token_days)
    refresh_claims = tokens.new_claims(user_id, session_id, "refresh")
    repository.add_refresh_token(
        session,
        RefreshToken(
            jti=refresh_claims.jti, session_id=session_id, expires_at=utcnow() + refresh_ttl
        ),
    )
    return TokenPair(
        access_token=tokens.issue(
            secret, tokens.new_claims(user_id, session_id, "access"), access_ttl
        ),
        refresh_token=tokens.issue(secret, refresh_claims, refresh_ttl),
        expires_in=int(access_ttl.total_seconds()),
    )


async def refresh(
    session: AsyncSession, db: Database, settings: Settings, *, refresh_token: str
) -> TokenPair:
    """Rotate: the presented token is spent and a new pair issued.

    A spent token presented again means it was copied: the whole session (every token
    descended from the same login) is revoked, in its own unit of work so that the
    revocation survives this request's error response.
    """
    claims = tokens.decode(settings.jwt_secret.get_secret_value(), refresh_token, "refresh")
    record = await repository.get_refresh_token(session, claims.jti)
    found = await repository.get_session_with_user(session, claims.session_id)
    if record is None or found is None or record.session_id != claims.session_id:
        raise InvalidToken()
    auth_session, user = found
    if record.used_at is not None:
        # This request has only read so far; end its transaction before opening another,
        # since on SQLite it holds the database's write lock until it ends.
        await session.rollback()
        async with db.unit_of_work() as other:
            await repository.revoke_session(
                other, claims.session_id, reason="refresh_reuse", now=utcnow()
            )
        raise InvalidToken("This refresh token was used before; the session has been ended.")
    _check_usable(auth_session, user)
    record.used_at = utcnow()
    return await _issue_pair(session, settings, user_id=user.id, session_id=auth_session.id)


def _check_usable(auth_session: AuthSession, user: User) -> None:
    # Disabling also ends the sessions; checked first, so the client learns why.
    if not user.is_active:
        raise AccountDisabled()
    if auth_session.revoked_at is not None or auth_session.expires_at < utcnow():
        raise InvalidToken()


async def logout(session: AsyncSession, *, principal: Principal) -> None:
    if principal.session_id:
        await repository.revoke_session(
            session, principal.session_id, reason="logout", now=utcnow()
        )


async def request_password_reset(
    session: AsyncSession,
    limiter: RateLimiter,
    settings: Settings,
    *,
    email: str,
    client: Client,
) -> None:
    if not await _may_mail(limiter, settings.auth, email=email, client=client):
        return
    user = await repository.get_user_by_email(session, email)
    if user is not None and user.is_active:
        await emails.send_password_reset(session, settings, user=user)


async def reset_password(
    session: AsyncSession, settings: Settings, *, token: str, new_password: str
) -> None:
    """Set a new password from a reset link and end every session of the account."""
    record = await emails.consume(session, token, EmailTokenPurpose.RESET)
    user = await repository.get_user(session, record.user_id)
    if user is None or not user.is_active:
        raise InvalidToken()
    await set_password(session, settings, user=user, new_password=new_password)
    await repository.use_email_tokens(session, user.id, EmailTokenPurpose.RESET, now=utcnow())
    if user.email_verified_at is None:
        # The link reached the inbox, which proves the address as well as verification would.
        user.email_verified_at = utcnow()


async def set_password(
    session: AsyncSession,
    settings: Settings,
    *,
    user: User,
    new_password: str,
    keep_session: str | None = None,
) -> None:
    """Set a new password and revoke every other credential: every API key and every
    session but `keep_session` (the one that just proved the old password), then tell
    the account's address."""
    passwords.check_policy(settings.auth, new_password, email=user.email)
    user.password_hash = await passwords.hash_password(settings.auth, new_password)
    await revoke_all_sessions(session, user=user, reason="password_changed", keep=keep_session)
    await repository.revoke_user_api_keys(session, user.id, now=utcnow())
    await emails.send_password_changed(session, settings, user=user)


async def check_password(settings: AuthSettings, *, user: User, password: str) -> bool:
    return await passwords.verify_password(settings, user.password_hash, password)


async def confirm_password(
    limiter: RateLimiter, settings: AuthSettings, *, principal: Principal, password: str | None
) -> None:
    """The gate of account actions (delete, change e-mail or password, create a key): a
    signed-in session, not an API key, and the current password, checked as a login is,
    against the same per-account limit, so a stolen access token cannot guess it."""
    if principal.session_id is None:
        raise SessionRequired()
    if password is None:
        raise InvalidCredentials("current_password is missing or wrong.")
    user, rate = principal.user, _account_rate(settings)
    await _limit(limiter, f"login:account:{user.email}", rate)
    if not await check_password(settings, user=user, password=password):
        raise InvalidCredentials("current_password is missing or wrong.")
    await limiter.clear(f"login:account:{user.email}", rate)


async def authenticate_access_token(
    session: AsyncSession, settings: Settings, *, token: str
) -> Principal:
    """Check a bearer JWT and that its session is still open (logout ends it at once)."""
    claims = tokens.decode(settings.jwt_secret.get_secret_value(), token, "access")
    found = await repository.get_session_with_user(session, claims.session_id)
    if found is None or found[1].id != claims.user_id:
        raise InvalidToken()
    auth_session, user = found
    _check_usable(auth_session, user)
    return Principal(user=user, session_id=auth_session.id)


async def revoke_all_sessions(
    session: AsyncSession, *, user: User, reason: str, keep: str | None = None
) -> None:
    """The one place a user's sessions end together (disabling, password change or reset)."""
    await repository.revoke_user_sessions(session, user.id, reason=reason, now=utcnow(), keep=keep)


async def start_email_change(
    session: AsyncSession, settings: Settings, *, user: User, email: str
) -> None:
    """Mail a link to the new address; the account keeps the old one until it is used."""
    if await repository.get_user_by_email(session, email):
        raise EmailTaken()
    await emails.send_verification(session, settings, user=user, email=email)


async def get_user(session: AsyncSession, user_id: str) -> User | None:
    return await repository.get_user(session, user_id)
