"""Plain async factories that go through the real services."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from cognitia.auth import service as auth
from cognitia.auth.schemas import RegisterRequest
from cognitia.auth.tasks import CLEANUP
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import sha256_hex
from cognitia.mail.providers.memory import MemoryMailer
from cognitia.mail.tasks import SEND_EMAIL
from cognitia.models.email_token import EmailToken
from cognitia.models.job import Job, JobStatus
from cognitia.models.user import Role, User
from cognitia.runtime import Runtime
from tests.support.waiting import eventually

PASSWORD = "SecurePass123"
_counter = {"n": 0}
# Verification and reset mails carry a link ending in ?token=<token>.
_LINK_TOKEN = re.compile(r"https?://\S+token=(\S+)")


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
        return await auth.register(
            session, runtime.settings, data=data, role=role, verified=verified
        )


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


async def mailed_tokens(runtime: Runtime, to: str, *, count: int = 1) -> list[str]:
    """Wait until `count` links went to `to` by e-mail; their tokens, oldest first."""
    mailer = runtime.mailer
    assert isinstance(mailer, MemoryMailer)

    async def probe() -> list[str] | None:
        found = [
            match.group(1)
            for message in mailer.outbox
            if message.to == to and (match := _LINK_TOKEN.search(message.body))
        ]
        return found if len(found) >= count else None

    return await eventually(probe)


async def mailed_token(runtime: Runtime, to: str, *, count: int = 1) -> str:
    """The token of the `count`-th link mailed to `to` (waiting for it)."""
    return (await mailed_tokens(runtime, to, count=count))[count - 1]


def mail_sent_to(runtime: Runtime, to: str) -> int:
    mailer = runtime.mailer
    assert isinstance(mailer, MemoryMailer)
    return sum(1 for message in mailer.outbox if message.to == to)


async def mail_jobs_to(runtime: Runtime, to: str) -> int:
    """How many e-mails to `to` were queued (sent or not): a deterministic 'nothing was sent'."""
    async with runtime.db.unit_of_work() as session:
        jobs = await session.scalars(select(Job).where(Job.name == SEND_EMAIL))
        return sum(1 for job in jobs if job.payload.get("to") == to)


@asynccontextmanager
async def api_client(app: FastAPI, *, ip: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` whose requests come from `ip`."""
    transport = httpx.ASGITransport(app=app, client=(ip, 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


async def expire_email_token(runtime: Runtime, token: str) -> None:
    """Move a mailed link's expiry into the past, as if it had been left in the inbox.

    First the clean-up the app runs at start must have run: it deletes expired links, and
    one that ran just after this would leave no link to be refused as expired."""
    await eventually(lambda: _cleaned_up(runtime))
    async with runtime.db.unit_of_work() as session:
        result = await session.execute(
            update(EmailToken)
            .where(EmailToken.token_hash == sha256_hex(token))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        assert result.rowcount == 1  # type: ignore[attr-defined]


async def _cleaned_up(runtime: Runtime) -> bool:
    async with runtime.db.read() as session:
        done = select(Job.id).where(Job.name == CLEANUP, Job.status == JobStatus.DONE)
        return await session.scalar(done.limit(1)) is not None


async def create_api_key(
    client: httpx.AsyncClient, headers: dict[str, str], *, name: str = "key", **fields: Any
) -> dict[str, Any]:
    """A new API key as a signed-in person makes one: their session and current password."""
    body = {"name": name, "current_password": PASSWORD, **fields}
    response = await client.post("/api/v2/api-keys", json=body, headers=headers)
    assert response.status_code == 201, response.text
    key: dict[str, Any] = response.json()
    return key


async def delete_account(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    """DELETE /users/me as a signed-in person does it: with the current password."""
    body = {"current_password": PASSWORD}
    return await client.request("DELETE", "/api/v2/users/me", json=body, headers=headers)
