"""Errors that reach an API client, and the one handler that renders them.

    CognitiaError (500 internal_error)
    ├── BadRequest (400 bad_request)
    ├── Unauthorized (401 not_authenticated)
    │   ├── InvalidToken (401 invalid_token)
    │   ├── TokenExpired (401 token_expired)
    │   └── InvalidCredentials (401 invalid_credentials)
    ├── Forbidden (403 forbidden)
    │   ├── EmailNotVerified (403 email_not_verified)
    │   ├── AccountDisabled (403 account_disabled)
    │   └── AdminRequired (403 admin_required)
    ├── NotFound (404 not_found)
    ├── Conflict (409 conflict)
    │   └── EmailTaken (409 email_taken)
    ├── Unprocessable (422 validation_error)
    │   └── WeakPassword (422 weak_password)
    └── TooManyRequests (429 rate_limited)

Every body is {"error": "<code>", "detail": "<message>"}; the code is stable, the
message is for people. Domain errors subclass these in their own modules.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CognitiaError(Exception):
    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_detail: ClassVar[str] = "Something went wrong on our side."

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None):
        self.detail = detail or self.default_detail
        self.headers = headers or {}
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail}


class BadRequest(CognitiaError):
    status_code = 400
    code = "bad_request"
    default_detail = "The request is not valid."


class Unauthorized(CognitiaError):
    status_code = 401
    code = "not_authenticated"
    default_detail = "Authentication is required."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class InvalidToken(Unauthorized):
    code = "invalid_token"
    default_detail = "The token is invalid or has been revoked."


class TokenExpired(Unauthorized):
    code = "token_expired"
    default_detail = "The token has expired."


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    default_detail = "E-mail or password is wrong."


class Forbidden(CognitiaError):
    status_code = 403
    code = "forbidden"
    default_detail = "You may not do this."


class EmailNotVerified(Forbidden):
    code = "email_not_verified"
    default_detail = "Verify your e-mail address before logging in."


class AccountDisabled(Forbidden):
    code = "account_disabled"
    default_detail = "This account is disabled."


class AdminRequired(Forbidden):
    code = "admin_required"
    default_detail = "Only administrators may do this."


class NotFound(CognitiaError):
    status_code = 404
    code = "not_found"
    default_detail = "Not found."


class Conflict(CognitiaError):
    status_code = 409
    code = "conflict"
    default_detail = "The request conflicts with the current state."


class EmailTaken(Conflict):
    code = "email_taken"
    default_detail = "An account with this e-mail address already exists."


class Unprocessable(CognitiaError):
    status_code = 422
    code = "validation_error"
    default_detail = "The request body is not valid."


class WeakPassword(Unprocessable):
    code = "weak_password"


class TooManyRequests(CognitiaError):
    status_code = 429
    code = "rate_limited"
    default_detail = "Too many requests; try again later."

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
