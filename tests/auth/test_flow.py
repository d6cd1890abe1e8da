"""The brief's sign-up sequence through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import httpx
import pytest

from cognitia.mail.providers.memory import MemoryMailer
from cognitia.runtime import Runtime
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio


async def _link_sent_to(runtime: Runtime, email: str) -> str:
    mailer = runtime.mailer
    assert isinstance(mailer, MemoryMailer)

    async def probe() -> str | None:
        for message in reversed(mailer.outbox):
            if message.to == email:
                match = re.search(r"https?://\S+token=(\S+)", message.body)
                if match:
                    return match.group(1)
        return None

    return await eventually(probe)


async def test_register_verify_login_me(client: httpx.AsyncClient, runtime: Runtime) -> None:
    body = {"email": "Test@Example.com", "password": "SecurePass123", "first_name": "Test"}
    created = await client.post("/api/v2/auth/register", json=body)
    assert created.status_code == 201
    assert created.json()["email"] == "test@example.com"
    assert created.json()["is_verified"] is False

    refused = await client.post(
        "/api/v2/auth/login", json={"email": "test@example.com", "password": "SecurePass123"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"] == "email_not_verified"

    token = await _link_sent_to(runtime, "test@example.com")
    verified = await client.get("/api/v2/auth/verify-email", params={"token": token})
    assert verified.status_code == 200
    assert verified.json()["is_verified"] is True

    login = await client.post(
        "/api/v2/auth/login", json={"email": "test@example.com", "password": "SecurePass123"}
    )
    assert login.status_code == 200
    tokens = login.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    me = await client.get(
        "/api/v2/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["first_name"] == "Test"
