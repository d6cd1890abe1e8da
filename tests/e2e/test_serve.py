"""The README's curl sequence against a real `cognitia serve` on embedded defaults."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cognitia.auth.first_user import NOTICE
from tests.support.net import free_port
from tests.support.processes import COGNITIA, process_env, stop
from tests.support.waiting import eventually_sync

pytestmark = pytest.mark.slow

PASSWORD = "SecurePass123"


@dataclass(frozen=True)
class Server:
    port: int
    cwd: Path
    env: dict[str, str]
    stdout: Path
    stderr: Path

    @property
    def base(self) -> str:
        return f"http://localhost:{self.port}"


def _alive(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    cwd = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = process_env(
        COGNITIA_DATA_DIR=str(cwd / "data"),
        COGNITIA_AUTH__ARGON2_MEMORY_KIB="1024",
        COGNITIA_AUTH__ARGON2_TIME_COST="1",
        # Links in e-mails point at this server, not at the default port 8000.
        COGNITIA_PUBLIC_URL=f"http://localhost:{port}",
    )
    stdout, stderr = cwd / "stdout.log", cwd / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [COGNITIA, "serve", "--port", str(port)], cwd=cwd, env=env, stdout=out, stderr=err
        )
    try:
        eventually_sync(lambda: process.poll() is not None or _alive(port), timeout=60)
        assert process.poll() is None, stderr.read_text()
        yield Server(port, cwd, env, stdout, stderr)
    finally:
        stop(process)


def curl(command: str) -> tuple[int, Any]:
    """Run one curl command line as written in the README; return its status and JSON body."""
    args = shlex.split(command)
    assert args[0] == "curl"
    result = subprocess.run(
        [*args, "--silent", "--write-out", "\n%{http_code}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(body) if body else None


def register(server: Server, email: str) -> dict[str, Any]:
    status, user = curl(
        f"curl -X POST {server.base}/api/v2/auth/register -H 'Content-Type: application/json'"
        f""" -d '{{"email": "{email}", "password": "{PASSWORD}", "first_name": "Test"}}'"""
    )
    assert status == 201, user
    assert user["email"] == email
    result: dict[str, Any] = user
    return result


def login(server: Server, email: str) -> tuple[int, Any]:
    return curl(
        f"curl -X POST {server.base}/api/v2/auth/login -H 'Content-Type: application/json'"
        f""" -d '{{"email": "{email}", "password": "{PASSWORD}"}}'"""
    )


def login_and_me(server: Server, email: str) -> dict[str, Any]:
    status, tokens = login(server, email)
    assert status == 200, tokens
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["access_token"]
    assert tokens["refresh_token"]

    status, me = curl(
        f"curl {server.base}/api/v2/auth/me -H 'Authorization: Bearer {tokens['access_token']}'"
    )
    assert status == 200, me
    assert me["email"] == email
    assert me["is_verified"] is True
    result: dict[str, Any] = tokens
    return result


def mailed_link(server: Server, email: str) -> str:
    """The verification link the console mail backend printed for `email`."""

    def probe() -> str | None:
        for block in server.stdout.read_text().split("----- e-mail -----"):
            if f"\nTo: {email}\n" in block:
                match = re.search(r"(http://\S+/verify-email\?token=\S+)", block)
                if match:
                    return match.group(1)
        return None

    return eventually_sync(probe)


def assert_logs_clean(server: Server, secrets: list[str], *, mailed_token: str = "") -> None:
    """stderr is JSON lines with request ids and no secret; stdout (the console mail) holds
    the e-mailed token by design, but none of the others."""
    err = server.stderr.read_text()
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    requests = [line for line in lines if line.get("logger") == "cognitia.http"]
    assert requests
    assert all(re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) for line in requests)
    out = server.stdout.read_text()
    for secret in filter(None, [*secrets, mailed_token]):
        assert secret not in err
    for secret in secrets:
        assert secret not in out


def test_health(server: Server) -> None:
    status, body = curl(f"curl {server.base}/health")

    assert status == 200
    assert body["status"] == "healthy"


def test_the_first_signup_is_an_admin_verified_at_once(server: Server) -> None:
    assert NOTICE in server.stderr.read_text()  # the start-up log said it would be
    user = register(server, "test@example.com")
    assert (user["role"], user["is_verified"]) == ("admin", True)

    tokens = login_and_me(server, "test@example.com")
    assert "test@example.com" not in server.stdout.read_text()  # no link was mailed
    assert_logs_clean(server, [PASSWORD, tokens["access_token"], tokens["refresh_token"]])


def test_signup_verified_by_the_admin_command(server: Server) -> None:
    user = register(server, "later@example.com")
    assert (user["role"], user["is_verified"]) == ("user", False)
    status, refused = login(server, "later@example.com")
    assert status == 403
    assert refused["error"] == "email_not_verified"

    verified = subprocess.run(
        [COGNITIA, "admin", "verify-email", "later@example.com"],
        cwd=server.cwd,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert "verified later@example.com" in verified.stdout

    tokens = login_and_me(server, "later@example.com")
    assert_logs_clean(server, [PASSWORD, tokens["access_token"], tokens["refresh_token"]])


def test_signup_verified_by_the_mailed_link(server: Server) -> None:
    assert register(server, "second@example.com")["is_verified"] is False
    status, _ = login(server, "second@example.com")
    assert status == 403

    link = mailed_link(server, "second@example.com")
    assert link.startswith(f"{server.base}/api/v2/auth/verify-email?token=")
    status, user = curl(f"curl '{link}'")
    assert status == 200, user
    assert user["is_verified"] is True
    status, again = curl(f"curl '{link}'")
    assert status == 401  # a link works once
    assert again["error"] == "invalid_token"

    tokens = login_and_me(server, "second@example.com")
    verification_token = link.split("token=", 1)[1]
    assert_logs_clean(
        server,
        [PASSWORD, tokens["access_token"], tokens["refresh_token"]],
        mailed_token=verification_token,
    )


def test_the_database_is_a_sqlite_file_in_the_data_dir(server: Server) -> None:
    database = server.cwd / "data" / "cognitia.db"

    assert database.is_file()
    assert database.read_bytes()[:16] == b"SQLite format 3\x00"
