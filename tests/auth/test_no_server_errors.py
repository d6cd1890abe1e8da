"""Bad input of every kind at every account endpoint: a 4xx answer each time, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from cognitia.app import create_app
from cognitia.config import Settings
from cognitia.runtime import Runtime
from tests.conftest import make_settings
from tests.support.factories import PASSWORD, bearer, create_api_key, create_user, login

pytestmark = pytest.mark.asyncio


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # "{user}" and "{key}" become the ids of a real user and API key
    # A valid body, mutated field by field: "{n}" is numbered, "{admin}" the caller's e-mail.
    body: dict[str, Any] | None = None
    query: dict[str, str] = field(default_factory=dict)  # valid query parameters

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint(
        "POST",
        "/api/v2/auth/register",
        {"email": "new{n}@example.com", "password": PASSWORD, "first_name": "A", "last_name": "B"},
    ),
    Endpoint("POST", "/api/v2/auth/verify-email", {"token": "abc"}),
    Endpoint("GET", "/api/v2/auth/verify-email", query={"token": "abc"}),
    Endpoint("POST", "/api/v2/auth/resend-verification", {"email": "a@example.com"}),
    Endpoint("POST", "/api/v2/auth/login", {"email": "{admin}", "password": PASSWORD}),
    Endpoint("POST", "/api/v2/auth/refresh", {"refresh_token": "abc"}),
    Endpoint("POST", "/api/v2/auth/request-password-reset", {"email": "{admin}"}),
    Endpoint("POST", "/api/v2/auth/reset-password", {"token": "abc", "new_password": PASSWORD}),
    Endpoint("GET", "/api/v2/auth/me"),
    Endpoint("POST", "/api/v2/api-keys", {"name": "key", "current_password": PASSWORD}),
    Endpoint("GET", "/api/v2/api-keys"),
    Endpoint("DELETE", "/api/v2/api-keys/{key}"),
    Endpoint("GET", "/api/v2/users/me"),
    Endpoint(
        "PATCH",
        "/api/v2/users/me",
        {
            "first_name": "A",
            "last_name": "B",
            "email": "other{n}@example.com",
            "current_password": PASSWORD,
            "new_password": PASSWORD,
        },
    ),
    Endpoint("GET", "/api/v2/admin/users", query={"limit": "10", "offset": "0", "q": "a"}),
    Endpoint("POST", "/api/v2/admin/users/{user}/disable"),
    Endpoint("POST", "/api/v2/admin/users/{user}/enable"),
    # Last in spirit: these end the caller's session or account.
    Endpoint("POST", "/api/v2/auth/logout"),
    Endpoint("DELETE", "/api/v2/users/me", {"current_password": PASSWORD}),
]

BAD_VALUES: list[Any] = [
    None,
    0,
    -1,
    10**30,
    1.5,
    True,
    [],
    {},
    {"$ne": ""},
    "",
    " ",
    "x" * 10_000,
    "\x00",
    "a\x00b@example.com",
    "nul\x00in the middle",
    "\u202e\u200b",
    "😀" * 100,
    "' OR '1'='1",
    "%",
    "_",
    "\\",
    "../../etc/passwd",
    "cgk_",
    "a@b",
    "@example.com",
    "ü@exämple.com",
]

LONE_SURROGATE = "\ud800"  # valid in JSON text, not encodable as UTF-8

RAW_BODIES: list[bytes] = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"text"',
    b"1e999",
    b"NaN",
    b"[" * 50_000,
    b'{"a": ' * 5_000,
    b"\xff\xfe\x00",
    "{}".encode("utf-16"),
]

BAD_IDS = ["%00", "x" * 1000, "..%2F..%2Fadmin", "%F0%9F%98%80", "%20", "1", "-1", "%25"]
BAD_QUERY_VALUES = ["", "\x00", "x" * 5000, "-1", "10" * 20, "1.5", "%", "😀", "0x10", "1e3"]


BAD_HEADERS: list[dict[str, str]] = [
    {"Authorization": "Bearer \x7f"},
    {"Authorization": "Bearer " + "x" * 10_000},
    {"Authorization": "Bearer a.b.c"},
    {"Authorization": "Bearer cgk_\x01"},
    {"Authorization": "Bearer  "},
    {"User-Agent": "agent\x00\x01"},
    {"User-Agent": "x" * 5_000},
    {"X-Forwarded-For": "\x00, 999.1.1.1"},
]


@dataclass(frozen=True)
class Case:
    description: str
    url: str
    content: bytes | None = None
    params: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Cases:
    """Every bad request for one endpoint; the rest of each request is valid."""

    def __init__(self, endpoint: Endpoint, *, email: str, user_id: str, key_id: str) -> None:
        self.endpoint = endpoint
        self.email = email
        self.url = endpoint.path.replace("{user}", user_id).replace("{key}", key_id)
        self.numbered = 0

    def body(self, **changes: Any) -> bytes:
        """The valid body with `changes`, as JSON (ASCII, so NULs and lone surrogates travel)."""
        self.numbered += 1
        valid = {
            name: self._fill(value) if isinstance(value, str) else value
            for name, value in (self.endpoint.body or {}).items()
        }
        return json.dumps({**valid, **changes}).encode()

    def _fill(self, value: str) -> str:
        return value.replace("{n}", str(self.numbered)).replace("{admin}", self.email)

    def __iter__(self) -> Iterator[Case]:
        yield from self._bodies()
        yield from self._fields()
        yield from self._urls()
        for headers in BAD_HEADERS:
            yield Case(f"headers {headers!r:.50}", self.url, self.body(), headers=headers)

    def _bodies(self) -> Iterator[Case]:
        for raw in RAW_BODIES:
            yield Case(f"body {raw[:20]!r}", self.url, raw)
        yield Case("text/plain", self.url, b"{}", headers={"Content-Type": "text/plain"})
        if self.endpoint.body:
            yield Case("extra field", self.url, self.body(extra=1))

    def _fields(self) -> Iterator[Case]:
        for name in self.endpoint.body or {}:
            for value in [*BAD_VALUES, LONE_SURROGATE]:
                yield Case(f"{name}={value!r:.40}", self.url, self.body(**{name: value}))
            without = json.loads(self.body())
            del without[name]
            yield Case(f"without {name}", self.url, json.dumps(without).encode())

    def _urls(self) -> Iterator[Case]:
        for placeholder in ("{user}", "{key}"):
            if placeholder in self.endpoint.path:
                for bad in BAD_IDS:
                    url = self.endpoint.path.replace(placeholder, bad)
                    yield Case(f"id {bad:.40}", url, self.body())
        for name in self.endpoint.query:
            for value in BAD_QUERY_VALUES:
                params = {**self.endpoint.query, name: value}
                yield Case(f"?{name}={value!r:.40}", self.url, params=params)


def _generous_limits(settings: Settings, tmp_path: Path) -> Settings:
    assert settings.database_url is not None
    limits = {"login_attempts_per_account": 100_000, "login_attempts_per_ip": 100_000}
    return make_settings(settings.database_url, tmp_path, auth=limits)


async def _cases(runtime: Runtime, client: httpx.AsyncClient, endpoint: Endpoint) -> Cases:
    """Cases that reach the code behind the checks: as an administrator, with real ids."""
    admin = await create_user(runtime, admin=True)
    headers = bearer((await login(client, admin.email))["access_token"])
    other = await create_user(runtime)
    key = await create_api_key(client, headers)
    client.headers.update(headers)
    return Cases(endpoint, email=admin.email, user_id=other.id, key_id=key["id"])


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
async def test_bad_input_never_causes_a_server_error(
    settings: Settings, tmp_path: Path, endpoint: Endpoint
) -> None:
    server_errors = []
    app = create_app(_generous_limits(settings, tmp_path))
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        # Server errors come back as responses, so that one run lists all of them.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for case in await _cases(app.state.runtime, client, endpoint):
                headers = {"Content-Type": "application/json", **case.headers}
                response = await client.request(
                    endpoint.method,
                    case.url,
                    content=case.content,
                    params=case.params,
                    headers=headers,
                )
                if response.status_code >= 500:
                    server_errors.append(f"{case.description}: {response.status_code}")
                elif response.status_code >= 400:
                    assert response.json()["error"], case.description

    assert server_errors == []
