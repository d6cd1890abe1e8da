"""Request and response bodies for /api/v2/auth and /api/v2/api-keys."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from cognitia.auth.passwords import MAX_PASSWORD_LENGTH
from cognitia.kit.names import check_name
from cognitia.models.api_key import ApiKeyScope


def _normalise_email(value: str) -> str:
    return value.strip().lower()


def _no_control_characters(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and no name, id or search term needs a control character.
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("Control characters are not allowed.")
    return value


Email = Annotated[EmailStr, Field(max_length=254), AfterValidator(_normalise_email)]
Password = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
NoControlCharacters = AfterValidator(_no_control_characters)
Text = Annotated[str, NoControlCharacters]
# Names are shown to other people: nothing in them may change how they read (kit/names.py).
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(check_name)
]
ResourceId = Annotated[str, Field(min_length=1), NoControlCharacters]
Token = Annotated[str, Field(min_length=1, max_length=4096)]
MAX_KEY_DAYS = 3650


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(Strict):
    email: Email
    password: Password
    first_name: Name = ""
    last_name: Name = ""


class LoginRequest(Strict):
    email: Email
    password: Password


class RefreshRequest(Strict):
    refresh_token: Token


class TokenRequest(Strict):
    token: Token


class EmailRequest(Strict):
    email: Email


class ResetPasswordRequest(Strict):
    token: Token
    new_password: Password


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class Accepted(BaseModel):
    detail: str


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    first_name: str
    last_name: str
    role: str
    is_active: bool
    is_verified: bool
    created_at: datetime


class ApiKeyCreate(Strict):
    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
        NoControlCharacters,
    ]
    scope: ApiKeyScope = Field(
        ApiKeyScope.FULL,
        description="full: everything the account can do but change its own credentials;"
        " chat: chats, their messages and the OpenAI-compatible /v1 endpoint only.",
    )
    expires_in_days: int | None = Field(
        None, ge=1, le=MAX_KEY_DAYS, description="The key stops working after this; none: never."
    )
    current_password: Password = Field(description="Creating a key needs the current password.")


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    prefix: str = Field(description="The first characters of the key, to tell keys apart.")
    scope: ApiKeyScope
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself; shown only in this response.")
