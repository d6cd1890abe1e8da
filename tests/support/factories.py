"""Plain async factories that go through the real services."""

from __future__ import annotations

from typing import Any

import httpx

from cognitia.auth import service as auth
from cognitia.auth.schemas import RegisterRequest
from cognitia.models.user import Role, User
from cognitia.runtime import Runtime

PASSWORD = "SecurePass123"
_counter = {"n": 0}


def unique_email(prefix: str = "user") -> str:
    _counter["n"] += 1
    return f"{prefix}{_counter['n']}@example.com"


async def create_user(
    runtime: Runtime,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    verified: bool = True,
    admin: bool = False,
    first_name: str = "Test",
) -> User:
    data = RegisterRequest(email=email or unique_email(), password=password, first_name=first_name)
    async with runtime.db.unit_of_work() as session:
        role = Role.ADMIN if admin else Role.USER
        return await auth.register(session, runtime, data=data, role=role, verified=verified)


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/api/v2/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def user_with_token(
    runtime: Runtime, client: httpx.AsyncClient, *, admin: bool = False
) -> tuple[User, dict[str, str]]:
    """A verified user and the headers of a fresh login."""
    user = await create_user(runtime, admin=admin)
    tokens = await login(client, user.email)
    return user, bearer(tokens["access_token"])
