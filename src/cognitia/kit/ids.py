"""Identifiers and secrets."""

import hashlib
import secrets
import uuid


def new_id() -> str:
    """A random UUID4 as a 36-character string (portable across SQLite and PostgreSQL)."""
    return str(uuid.uuid4())


def new_secret(prefix: str = "", nbytes: int = 32) -> str:
    """A URL-safe random secret, optionally prefixed so its kind is visible."""
    return prefix + secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    """Digest for high-entropy secrets (tokens, API keys); passwords use argon2 instead."""
    return hashlib.sha256(value.encode()).hexdigest()
