"""Production mode: HSTS; /docs, /openapi.json and /metrics open, behind a token, or closed;
/metrics on a port of its own."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from cognitia.config import Settings
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.net import free_port

pytestmark = pytest.mark.asyncio

DOCS_PATHS = ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"]
TOKEN = "a-scrape-token-of-enough-length-0123456789"


@pytest.fixture
def db_backend() -> str:
    return "sqlite"  # nothing here depends on the database


def settings_with(database_url: str, tmp_path: Path, **http: object) -> Settings:
    return make_settings(database_url, tmp_path, environment="production", http=http)


def basic(password: str) -> dict[str, str]:
    pair = base64.b64encode(f"anyone:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


async def test_production_sends_hsts(database_url: str, tmp_path: Path) -> None:
    async with running_app(settings_with(database_url, tmp_path)) as (_, client):
        response = await client.get("/health")

    assert response.headers["strict-transport-security"] == "max-age=31536000"


async def test_hsts_can_be_turned_off(database_url: str, tmp_path: Path) -> None:
    settings = settings_with(database_url, tmp_path, hsts_seconds=0)
    async with running_app(settings) as (_, client):
        response = await client.get("/health")

    assert "strict-transport-security" not in response.headers


async def test_development_sends_no_hsts(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")

    assert "strict-transport-security" not in response.headers


async def test_closed_docs_and_metrics_are_not_found(database_url: str, tmp_path: Path) -> None:
    settings = settings_with(database_url, tmp_path, docs_access="closed", metrics_access="closed")
    async with running_app(settings) as (_, client):
        answers = {path: await client.get(path) for path in [*DOCS_PATHS, "/metrics"]}
        health = await client.get("/health")

    for path, response in answers.items():
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found", path
    assert health.status_code == 200


async def test_docs_behind_a_token(database_url: str, tmp_path: Path) -> None:
    settings = settings_with(database_url, tmp_path, docs_access="token", docs_token=TOKEN)
    async with running_app(settings) as (_, client):
        anonymous = await client.get("/openapi.json")
        wrong = await client.get("/openapi.json", headers=basic("guess"))
        by_browser = await client.get("/docs", headers=basic(TOKEN))
        by_bearer = await client.get("/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"})
        metrics = await client.get("/metrics")

    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "not_authenticated"
    # A browser asks for the token itself, and sends it with /openapi.json after.
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    assert wrong.status_code == 401
    assert by_browser.status_code == 200
    assert by_bearer.status_code == 200
    assert "paths" in by_bearer.json()
    assert metrics.status_code == 200  # metrics_access stayed open


async def test_metrics_behind_a_token(database_url: str, tmp_path: Path) -> None:
    settings = settings_with(database_url, tmp_path, metrics_access="token", metrics_token=TOKEN)
    async with running_app(settings) as (_, client):
        anonymous = await client.get("/metrics")
        docs_token = await client.get("/metrics", headers={"Authorization": "Bearer other"})
        scraper = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert anonymous.status_code == 401
    assert docs_token.status_code == 401
    assert scraper.status_code == 200
    assert "cognitia_http_requests_total" in scraper.text


async def test_token_access_without_a_token_refuses_to_start(
    database_url: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="COGNITIA_HTTP__METRICS_TOKEN"):
        settings_with(database_url, tmp_path, metrics_access="token")


async def test_metrics_on_their_own_port(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    settings = settings_with(database_url, tmp_path, metrics_port=port)
    async with running_app(settings) as (_, client):
        on_api = await client.get("/metrics")
        async with httpx.AsyncClient() as scraper:
            own_port = await scraper.get(f"http://127.0.0.1:{port}/metrics")

    assert on_api.status_code == 404
    assert own_port.status_code == 200
    assert "cognitia_http_requests_total" in own_port.text


async def test_the_metrics_port_is_freed_at_shutdown(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    settings = settings_with(database_url, tmp_path, metrics_port=port)
    async with running_app(settings):
        pass
    async with running_app(settings), httpx.AsyncClient() as scraper:  # binds the port again
        response = await scraper.get(f"http://127.0.0.1:{port}/metrics")

    assert response.status_code == 200
