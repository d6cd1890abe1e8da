"""JSON request logs with request ids, and no credentials in any log line."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx
import pytest

from cognitia.mail.providers.memory import MemoryMailer
from cognitia.observability import logging as cognitia_logging
from cognitia.runtime import Runtime
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio


def _json_lines(text: str) -> list[dict[str, Any]]:
    """Every non-empty line must be one JSON object."""
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all(isinstance(line, dict) for line in lines)
    return lines


def _request_lines(text: str) -> list[dict[str, Any]]:
    return [
        line
        for line in _json_lines(text)
        if line.get("logger") == "cognitia.http" and line.get("event") == "request"
    ]


async def test_every_request_line_is_json_with_a_request_id(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    responses = [
        await client.get("/health"),
        await client.get("/api/v2/auth/me"),
        await client.get("/no/such/route"),
    ]

    lines = _request_lines(capsys.readouterr().err)
    assert len(lines) == 3
    ids = [r.headers["x-request-id"] for r in responses]
    assert [line["request_id"] for line in lines] == ids
    assert len(set(ids)) == 3
    assert [(line["route"], line["status"]) for line in lines] == [
        ("/health", 200),
        ("/api/v2/auth/me", 401),
        ("unmatched", 404),
    ]
    assert all(line["method"] == "GET" and line["level"] == "info" for line in lines)


async def test_a_valid_incoming_request_id_is_echoed_and_logged(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    response = await client.get("/health", headers={"X-Request-ID": "edge-42.a_b"})

    assert response.headers["x-request-id"] == "edge-42.a_b"
    (line,) = _request_lines(capsys.readouterr().err)
    assert line["request_id"] == "edge-42.a_b"


@pytest.mark.parametrize(
    "incoming",
    ["has spaces", "x" * 65, "inject\\nnewline", 'quote"d', "<script>"],
)
async def test_an_invalid_incoming_request_id_is_replaced(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str], incoming: str
) -> None:
    capsys.readouterr()
    response = await client.get("/health", headers={"X-Request-ID": incoming})

    generated = response.headers["x-request-id"]
    assert generated != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    (line,) = _request_lines(capsys.readouterr().err)
    assert line["request_id"] == generated


async def _verification_token(runtime: Runtime, email: str) -> str:
    mailer = runtime.mailer
    assert isinstance(mailer, MemoryMailer)

    async def probe() -> str | None:
        for message in mailer.outbox:
            match = re.search(r"token=(\S+)", message.body)
            if message.to == email and match:
                return match.group(1)
        return None

    return await eventually(probe)


async def test_no_credentials_reach_the_logs(
    client: httpx.AsyncClient, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    password = "Unlikely-Passw0rd-4-Logs"
    credentials = {"email": "secrets@example.com", "password": password}
    capsys.readouterr()

    await client.post("/api/v2/auth/register", json={**credentials, "first_name": "S"})
    assert (await client.post("/api/v2/auth/login", json=credentials)).status_code == 403
    wrong = {**credentials, "password": password + "-wrong"}
    assert (await client.post("/api/v2/auth/login", json=wrong)).status_code == 401
    verification = await _verification_token(runtime, "secrets@example.com")
    verify = await client.get("/api/v2/auth/verify-email", params={"token": verification})
    assert verify.status_code == 200
    tokens = (await client.post("/api/v2/auth/login", json=credentials)).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/api/v2/auth/me", headers=bearer)).status_code == 200
    refresh = {"refresh_token": tokens["refresh_token"]}
    assert (await client.post("/api/v2/auth/refresh", json=refresh)).status_code == 200

    captured = capsys.readouterr()
    logged = captured.err + captured.out
    assert len(_request_lines(captured.err)) == 7  # the capture did see the requests
    for secret in (password, verification, tokens["access_token"], tokens["refresh_token"]):
        assert secret not in logged


async def test_credentials_in_log_fields_and_messages_are_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cognitia_logging.configure("INFO", json=True)
    capsys.readouterr()

    logging.getLogger("cognitia.test").warning(
        "callback to /verify-email?token=S3cretT0ken failed",
        extra={
            "password": "hunter2-password",
            "authorization": "Bearer eyJhbGciOi.payload.sig",
            "detail": '{"refresh_token": "r3fr3sh-value"}',
            "user_id": "u-1",
        },
    )

    (line,) = _json_lines(capsys.readouterr().err)
    assert line["event"] == "callback to /verify-email?token=[redacted] failed"
    assert line["password"] == "[redacted]"
    assert line["authorization"] == "[redacted]"
    assert line["detail"] == '{"refresh_token": "[redacted]"}'
    assert line["user_id"] == "u-1"
    assert line["level"] == "warning"
