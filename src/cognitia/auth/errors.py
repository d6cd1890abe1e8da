"""Errors of the auth domain's credentials (docs/security.md).

Unauthorized (401)
└── ApiKeyExpired (api_key_expired): the key's `expires_at` has passed
Forbidden (403)
├── InsufficientScope (insufficient_scope): the key's scope does not reach this route
└── SessionRequired (session_required): an account action needs a signed-in person, not a key
"""

from __future__ import annotations

from cognitia.errors import Forbidden, Unauthorized


class ApiKeyExpired(Unauthorized):
    code = "api_key_expired"
    default_detail = "The API key has expired; create a new one."


class InsufficientScope(Forbidden):
    code = "insufficient_scope"
    default_detail = "This API key's scope does not allow this request."


class SessionRequired(Forbidden):
    code = "session_required"
    default_detail = (
        "Changing the account's credentials or deleting it needs a signed-in session and the"
        " current password; an API key cannot do it."
    )
