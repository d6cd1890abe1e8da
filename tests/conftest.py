"""Shared fixtures: real SQLite and PostgreSQL (with pgvector), real Redis, the app.

Every database test runs twice, on SQLite and on PostgreSQL (`db_backend`). The schema
comes from `alembic upgrade head`, so the migrations are tested too. Tests see each
other's data never: SQLite gets a fresh copy of a migrated file per test; PostgreSQL
is truncated after each test. (A rolled-back outer transaction would be faster, but
the job runner and the CLI use their own connections and must see committed rows.)
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis import Redis as SyncRedis
from sqlalchemy import insert, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from cognitia.app import create_app
from cognitia.config import Settings
from cognitia.db import Base
from cognitia.kit.ids import new_id
from cognitia.migrations import runner
from cognitia.models.plan import Plan
from cognitia.runtime import Runtime
from tests.support import postgres
from tests.support.fake_upstream import FakeUpstream

# The event-loop lag guard: `pytest --loop-lag` fails a test whose loop was blocked.
from tests.support.loop_lag import loop_lag, pytest_addoption, pytest_configure  # noqa: F401

# Parallel runs (several checkouts on one machine) can pick another database number.
REDIS_TEST_URL = os.environ.get("COGNITIA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database on the embedded PostgreSQL 18 (pgvector included)."""
    with postgres.server(tmp_path_factory.mktemp("pg")) as url:
        runner.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    runner.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def db_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture
def database_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if db_backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "cognitia.db"
        shutil.copy(template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    truncate_all(url)


@pytest.fixture(scope="module")
def upstream_server() -> Iterator[FakeUpstream]:
    """The fake OpenAI-compatible upstream, one process per test module."""
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def upstream(upstream_server: FakeUpstream) -> Iterator[FakeUpstream]:
    """The module's fake upstream, its scripts cleared before and after the test."""
    upstream_server.reset()
    yield upstream_server
    upstream_server.reset()


@pytest.fixture
def empty_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, of the backend under test (migration tests)."""
    if db_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    server: str = request.getfixturevalue("postgres_url")
    name = "empty_" + new_id().replace("-", "")
    asyncio.run(_on_server(server, f'CREATE DATABASE "{name}"'))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_on_server(server, f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _on_server(url: str, statement: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(statement))
    await engine.dispose()


def migration_module(name: str) -> Any:
    """A migration's module by its file name (versions/<name>.py)."""
    path = Path(runner.__file__).parent / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _seeded_plans() -> list[dict[str, object]]:
    """The default plans as the migrations seed them: 0010's rows, 0020's tool limits."""
    rows: list[dict[str, object]] = migration_module(
        "0010_plans_subscriptions_usage_counters"
    ).seed_rows()
    limits = migration_module("0020_tool_limits_and_bans").seeded_limits()
    return [{**row, **limits[str(row["id"])]} for row in rows]


def truncate_all(async_url: str) -> None:
    """Empty every table, then put back the rows migrations seed (the default plans)."""
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)

    async def truncate() -> None:
        engine = create_async_engine(async_url, poolclass=NullPool)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE TABLE {names} RESTART IDENTITY CASCADE"))
            await conn.execute(insert(Plan), _seeded_plans())
        await engine.dispose()

    asyncio.run(truncate())


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The machine's real Redis, database 15, emptied before and after each test."""
    client = SyncRedis.from_url(REDIS_TEST_URL)
    client.flushdb()
    yield REDIS_TEST_URL
    client.flushdb()
    client.close()


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "jwt_secret": "test-secret-that-is-long-enough-for-hs256",
        "log_json": True,
        "mail": {"backend": "memory"},
        "auth": {"argon2_time_cost": 1, "argon2_memory_kib": 1024},
        "jobs": {"poll_seconds": 0.05, "lease_seconds": 5},
        # API tests see the API alone, whether or not the web UI was built (test_webui.py).
        # A test's server that stops interrupts its replies at once, unless the test asks
        # for a grace (tests/chats/test_graceful_shutdown.py).
        "http": {"web_ui": False, "shutdown_grace_seconds": 0},
        # The model runner starts on first use: most tests never touch the local model,
        # and a runner per test app would load it hundreds of times.
        "llm": {"runner": {"start_at_boot": False}},
        # Likewise the voice runner (piper): tests/voice start it where it is the subject.
        "voice": {"runner": {"start_at_boot": False}},
        # Tests that check what recall found must not depend on how busy the machine is;
        # tests/memory/test_recall.py sets a short budget where the budget is the subject.
        "retrieval": {"recall_budget_seconds": 60},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}  # type: ignore[dict-item]
        else:
            values[key] = value
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest_asyncio.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    # Hang guards, not performance bounds: on a loaded 2-core machine a shutdown (job
    # runner, generations, pools) once took longer than asgi-lifespan's default 5 s.
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        yield application


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
