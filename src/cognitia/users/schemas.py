"""Bodies for /api/v2/users and /api/v2/admin/users."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from cognitia.auth.schemas import Email, Name, Password, Strict, UserRead


class UserUpdate(Strict):
    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    current_password: Password | None = None
    new_password: Password | None = None

    @model_validator(mode="after")
    def _password_change_is_complete(self) -> UserUpdate:
        if self.new_password is not None and self.current_password is None:
            raise ValueError("current_password is required to set new_password")
        return self


class UserUpdated(UserRead):
    pending_email: str | None = None
    credentials_revoked: bool = Field(
        False,
        description="The password changed: every other session and every API key of the"
        " account was revoked (this session stays signed in).",
    )


class AccountDelete(Strict):
    current_password: Password = Field(description="Deleting the account needs the password.")


class UserPage(BaseModel):
    items: list[UserRead]
    total: int
    limit: int
    offset: int
