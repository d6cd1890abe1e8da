"""JWT access and refresh tokens (HS256), via PyJWT."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import jwt

from cognitia.errors import InvalidToken, TokenExpired
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id

TokenType = Literal["access", "refresh"]
ISSUER = "cognitia"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class Claims:
    user_id: str
    session_id: str
    jti: str
    type: TokenType


def issue(secret: str, claims: Claims, ttl: timedelta) -> str:
    now = utcnow()
    payload = {
        "iss": ISSUER,
        "sub": claims.user_id,
        "sid": claims.session_id,
        "jti": claims.jti,
        "typ": claims.type,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def new_claims(user_id: str, session_id: str, token_type: TokenType) -> Claims:
    return Claims(user_id, session_id, new_id(), token_type)


def decode(secret: str, token: str, expected: TokenType) -> Claims:
    """Verify signature, expiry and type; raise TokenExpired or InvalidToken."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "jti", "typ"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpired() from None
    except jwt.PyJWTError:
        raise InvalidToken() from None
    if payload["typ"] != expected:
        raise InvalidToken(f"Expected an {expected} token.")
    return Claims(str(payload["sub"]), str(payload["sid"]), str(payload["jti"]), expected)
