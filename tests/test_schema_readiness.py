"""A server on a database whose schema is behind the code says so at start, /readyz
answers 503 with the reason, and requests get 503 schema_out_of_date instead of 500s
from missing tables; once migrated it serves without a restart. A schema newer than
the code (migrated ahead of a rolling restart) is accepted."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from cognitia.migrations import runner
from cognitia.migrations.status import code_revisions
from tests.conftest import make_settings
from tests.support.apps import running_app

pytestmark = pytest.mark.asyncio

REGISTER = {"email": "someone@example.com", "password": "SecurePass123", "first_name": "Some"}


async def test_an_unmigrated_database_is_not_ready_and_refuses_requests(
    empty_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_app(make_settings(empty_url, tmp_path)) as (_, client):
        # create_app configures logging (JSON lines on stderr), replacing caplog's handler.
        started = capsys.readouterr().err
        ready = await client.get("/readyz")
        registered = await client.post("/api/v2/auth/register", json=REGISTER)
        alive = await client.get("/healthz")

    assert ready.status_code == 503
    assert ready.json()["checks"]["schema"] == (
        "failed: The database has no schema yet: run `cognitia migrate`."
    )
    assert registered.status_code == 503
    assert registered.json() == {
        "error": "schema_out_of_date",
        "detail": "The database has no schema yet: run `cognitia migrate`.",
    }
    assert alive.status_code == 200
    assert "database schema out of date: The database has no schema yet" in started


async def test_a_schema_behind_the_code_is_named_and_migrating_makes_it_ready(
    empty_url: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(runner.upgrade, empty_url, "0007")
    async with running_app(make_settings(empty_url, tmp_path)) as (_, client):
        behind = await client.get("/readyz")
        refused = await client.post("/api/v2/auth/register", json=REGISTER)
        await asyncio.to_thread(runner.upgrade, empty_url)
        migrated = await client.get("/readyz")
        registered = await client.post("/api/v2/auth/register", json=REGISTER)

    assert behind.status_code == 503
    [head] = code_revisions().heads  # the newest migration, whichever it is today
    assert f"at 0007; this version needs {head}" in behind.json()["checks"]["schema"]
    assert refused.status_code == 503
    assert refused.json()["error"] == "schema_out_of_date"
    assert migrated.status_code == 200, migrated.text
    assert migrated.json()["checks"]["schema"] == "ok"
    assert registered.status_code == 201, registered.text


async def test_a_schema_newer_than_the_code_is_accepted(empty_url: str, tmp_path: Path) -> None:
    await asyncio.to_thread(runner.upgrade, empty_url)
    engine = create_async_engine(empty_url, poolclass=NullPool)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    await engine.dispose()

    async with running_app(make_settings(empty_url, tmp_path)) as (_, client):
        ready = await client.get("/readyz")
        registered = await client.post("/api/v2/auth/register", json=REGISTER)

    assert ready.status_code == 200, ready.text
    assert registered.status_code == 201, registered.text
