"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cognitia.config import AuthSettings
from cognitia.errors import WeakPassword

MAX_PASSWORD_LENGTH = 128


def _hasher(settings: AuthSettings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
    )


async def hash_password(settings: AuthSettings, password: str) -> str:
    """Hash off the event loop: argon2 is deliberately slow."""
    return await asyncio.to_thread(_hasher(settings).hash, password)


async def verify_password(settings: AuthSettings, password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher(settings).verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def check_policy(settings: AuthSettings, password: str, *, email: str) -> None:
    """Raise WeakPassword with the first rule the password breaks."""
    if len(password) < settings.password_min_length:
        raise WeakPassword(f"Use at least {settings.password_min_length} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at most {MAX_PASSWORD_LENGTH} characters.")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        raise WeakPassword("Use both letters and digits.")
    if password.lower() == email.lower() or password.lower() == email.split("@")[0].lower():
        raise WeakPassword("The password must not be your e-mail address.")
