"""What every response carries: security headers, CORS when configured, JSON errors, OpenAPI."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings
from tests.support.apps import running_app

pytestmark = pytest.mark.asyncio

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


@pytest.fixture
def db_backend() -> str:
    return "sqlite"  # nothing here reads the database


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/health"), ("GET", "/no/such/route"), ("GET", "/api/v2/auth/me"), ("GET", "/docs")],
)
async def test_security_headers_on_every_response(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)

    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_cors_allows_only_configured_origins(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, http={"cors_origins": ["https://app.example"]})
    async with running_app(settings) as (_, client):
        allowed = await client.options(
            "/api/v2/auth/login", headers={"Origin": "https://app.example", **PREFLIGHT}
        )
        refused = await client.options(
            "/api/v2/auth/login", headers={"Origin": "https://evil.example", **PREFLIGHT}
        )
        simple = await client.get("/health", headers={"Origin": "https://app.example"})
        simple_other = await client.get("/health", headers={"Origin": "https://evil.example"})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert simple.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in simple_other.headers
    assert allowed.headers["x-content-type-options"] == "nosniff"


async def test_no_cors_headers_without_configured_origins(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/api/v2/auth/login", headers={"Origin": "https://app.example", **PREFLIGHT}
    )
    simple = await client.get("/health", headers={"Origin": "https://app.example"})

    assert preflight.status_code == 405
    for response in (preflight, simple):
        assert not [h for h in response.headers if h.startswith("access-control-")]


async def test_unknown_route_is_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v2/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "not_found", "detail": "Not Found"}


async def test_wrong_method_is_a_json_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v2/auth/login")

    assert response.status_code == 405
    assert response.json() == {"error": "method_not_allowed", "detail": "Method Not Allowed"}
    assert response.headers["allow"] == "POST"


async def test_openapi_lists_the_api(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")

    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "Cognitia"
    paths = spec["paths"]
    for path in (
        "/api/v2/auth/register",
        "/api/v2/auth/login",
        "/api/v2/auth/refresh",
        "/api/v2/auth/logout",
        "/api/v2/auth/verify-email",
        "/api/v2/auth/me",
        "/api/v2/api-keys",
        "/health",
        "/readyz",
    ):
        assert path in paths, path
    assert "post" in paths["/api/v2/auth/register"]
    assert "/metrics" not in paths


@pytest.mark.parametrize(("path", "marker"), [("/docs", "swagger-ui"), ("/redoc", "redoc")])
async def test_api_docs_pages(client: httpx.AsyncClient, path: str, marker: str) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert marker in response.text.lower()
    assert "/openapi.json" in response.text


@pytest.mark.parametrize(
    ("path", "asset"),
    [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")],
)
async def test_api_docs_work_offline(client: httpx.AsyncClient, path: str, asset: str) -> None:
    """The docs pages load their scripts from this server, never from a CDN."""
    page = (await client.get(path)).text
    assert "cdn.jsdelivr" not in page
    assert "unpkg.com" not in page
    script = f"/static-offline-docs/{asset}"
    assert script in page
    served = await client.get(script)
    assert served.status_code == 200
    assert len(served.content) > 10_000
