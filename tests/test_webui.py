"""Serving the built web UI: pages fall back to index.html, API paths keep JSON 404s,
hashed assets are cached for good, and the policy headers forbid inline scripts."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from tests.conftest import make_settings
from tests.support.apps import running_app

pytestmark = pytest.mark.asyncio

INDEX = "<!doctype html><title>Cognitia</title><script src='/assets/app-1a2b.js'></script>"


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A folder laid out as Vite's output is."""
    root = tmp_path / "webui"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "app-1a2b.js").write_text("console.log('app')")
    (root / "robots.txt").write_text("User-agent: *\n")
    return root


@pytest.fixture
def db(tmp_path: Path, sqlite_template: Path) -> Path:
    """A migrated SQLite database (a server refuses traffic on an unmigrated one)."""
    path = tmp_path / "db.sqlite"
    shutil.copy(sqlite_template, path)
    return path


async def _client(db: Path, **http: object) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(f"sqlite+aiosqlite:///{db}", db.parent, http=http)
    async with running_app(settings) as (_, client):
        yield client


@pytest_asyncio.fixture
async def ui(db: Path, built: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(db, web_ui=True, web_ui_dir=built):
        yield client


@pytest.mark.parametrize("path", ["/", "/chats", "/chats/abc123", "/login?next=%2Fchats"])
async def test_every_page_path_gets_the_app(ui: httpx.AsyncClient, path: str) -> None:
    response = await ui.get(path)

    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]


@pytest.mark.parametrize("path", ["/api/v2/nothing-here", "/v1/nothing", "/docs/x", "/healthz/x"])
async def test_unknown_api_paths_stay_json_404s(ui: httpx.AsyncClient, path: str) -> None:
    response = await ui.get(path)

    assert response.status_code == 404
    error = response.json()["error"]
    # /v1 answers in OpenAI's error shape, the rest in ours.
    assert (error["code"] if path.startswith("/v1") else error) == "not_found"


async def test_a_wrong_method_on_an_api_path_is_still_a_405(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/api/v2/auth/login")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["/apiary", "/docsearch", "/v1x"])
async def test_pages_may_start_like_api_paths(ui: httpx.AsyncClient, path: str) -> None:
    assert (await ui.get(path)).text == INDEX


async def test_api_routes_still_answer(ui: httpx.AsyncClient) -> None:
    assert (await ui.get("/healthz")).json()["status"] == "ok"
    assert (await ui.get("/api/v2/auth/me")).status_code == 401


async def test_hashed_assets_are_cached_for_good(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/assets/app-1a2b.js")

    assert response.status_code == 200
    assert response.text == "console.log('app')"
    assert "immutable" in response.headers["cache-control"]
    assert (await ui.get("/assets/missing.js")).status_code == 404


async def test_top_level_files_are_served_but_nothing_outside(
    ui: httpx.AsyncClient, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text("not for you")

    assert (await ui.get("/robots.txt")).text == "User-agent: *\n"
    outside = await ui.get("/..%2Fsecret.txt")
    assert "not for you" not in outside.text


async def test_an_unbuilt_ui_says_how_to_build_it(tmp_path: Path, db: Path) -> None:
    async for client in _client(db, web_ui=True, web_ui_dir=tmp_path / "nothing"):
        response = await client.get("/")
        assert response.status_code == 503
        assert "./dev serve" in response.text


async def test_an_api_only_process_serves_no_pages(db: Path, built: Path) -> None:
    async for client in _client(db, web_ui=False, web_ui_dir=built):
        response = await client.get("/chats")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
