"""E-mail about the account: single-use links (verification, password reset) and notices."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.auth import repository
from cognitia.config import Settings
from cognitia.errors import InvalidToken, TokenExpired
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_secret, sha256_hex
from cognitia.mail import service as mail
from cognitia.models.email_token import EmailToken, EmailTokenPurpose
from cognitia.models.user import User


def _new_token(
    settings: Settings, user: User, purpose: EmailTokenPurpose, email: str
) -> tuple[str, EmailToken]:
    raw = new_secret()
    ttl = timedelta(hours=settings.auth.email_token_hours)
    record = EmailToken(
        user_id=user.id,
        purpose=purpose,
        token_hash=sha256_hex(raw),
        email=email,
        expires_at=utcnow() + ttl,
    )
    return raw, record


def _link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}{path}?{urlencode({'token': token})}"


async def send_verification(
    session: AsyncSession, settings: Settings, *, user: User, email: str
) -> None:
    """Mail a link that proves `email` belongs to `user` (used at sign-up and e-mail change)."""
    await repository.use_email_tokens(session, user.id, EmailTokenPurpose.VERIFY, now=utcnow())
    raw, record = _new_token(settings, user, EmailTokenPurpose.VERIFY, email)
    repository.add_email_token(session, record)
    link = _link(settings, "/api/v2/auth/verify-email", raw)
    mail.send_later(
        session,
        to=email,
        subject="Confirm your e-mail address",
        body=f"Hello {user.first_name or 'there'},\n\nConfirm your address: {link}\n\n"
        f"The link works once, for {settings.auth.email_token_hours} hours.",
    )


async def send_password_reset(session: AsyncSession, settings: Settings, *, user: User) -> None:
    await repository.use_email_tokens(session, user.id, EmailTokenPurpose.RESET, now=utcnow())
    raw, record = _new_token(settings, user, EmailTokenPurpose.RESET, user.email)
    repository.add_email_token(session, record)
    link = _link(settings, "/reset-password", raw)
    mail.send_later(
        session,
        to=user.email,
        subject="Reset your password",
        body=f"Set a new password: {link}\n\nIf you did not ask for this, ignore this e-mail.\n"
        f"Token (for the API's reset-password call): {raw}",
    )


async def send_password_changed(session: AsyncSession, settings: Settings, *, user: User) -> None:
    """Tell the owner, so a change they did not make does not go unnoticed."""
    mail.send_later(
        session,
        to=user.email,
        subject="Your password was changed",
        body=f"Hello {user.first_name or 'there'},\n\nThe password of your Cognitia account was"
        " changed. Every other signed-in device was signed out and every API key was revoked;"
        " create new keys where you need them.\n\nIf you did not do this, reset your password"
        f" now: {settings.public_url.rstrip('/')}/forgot-password",
    )


async def consume(session: AsyncSession, token: str, purpose: EmailTokenPurpose) -> EmailToken:
    """Spend a link's token, or raise InvalidToken / TokenExpired."""
    record = await repository.get_email_token(session, sha256_hex(token), purpose)
    if record is None or record.used_at is not None:
        raise InvalidToken("This link is invalid or has been used.")
    if record.expires_at < utcnow():
        raise TokenExpired("This link has expired; ask for a new one.")
    record.used_at = utcnow()
    return record
