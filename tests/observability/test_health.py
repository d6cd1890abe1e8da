"""/health, /healthz and /readyz, with and without Redis."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cognitia import __version__
from cognitia.runtime import Runtime
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.net import free_port

pytestmark = pytest.mark.asyncio


async def test_health_and_liveness(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "healthy", "version": __version__}

    alive = await client.get("/healthz")
    assert alive.status_code == 200
    assert alive.json() == {"status": "ok"}


async def test_ready_with_database_and_embedded_jobs(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "schema": "ok", "jobs": "ok"},
    }


async def test_ready_reports_jobs_as_external_without_a_runner_in_the_api(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, jobs={"run_in_api": False})
    async with running_app(settings) as (_, client):
        response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "schema": "ok", "jobs": "external"}


async def test_ready_checks_redis_when_configured(
    database_url: str, tmp_path: Path, redis_url: str
) -> None:
    settings = make_settings(
        database_url, tmp_path, redis_url=redis_url, jobs={"backend": "embedded"}
    )
    async with running_app(settings) as (_, client):
        response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "schema": "ok", "redis": "ok", "jobs": "ok"},
    }


async def test_unreachable_redis_makes_the_app_not_ready_but_alive(
    database_url: str, tmp_path: Path
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    settings = make_settings(database_url, tmp_path, redis_url=closed, jobs={"backend": "embedded"})
    async with running_app(settings) as (_, client):
        ready = await client.get("/readyz")
        alive = await client.get("/healthz")

    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("failed: ")
    assert alive.status_code == 200


async def test_each_dependency_has_its_own_health_route(client: httpx.AsyncClient) -> None:
    db = await client.get("/health/db")
    redis = await client.get("/health/redis")
    llm = await client.get("/health/llm")
    every = await client.get("/health/all")

    assert db.status_code == 200
    assert db.json() == {"status": "healthy", "checks": {"database": "ok", "schema": "ok"}}
    assert redis.json() == {"status": "healthy", "checks": {"redis": "disabled"}}
    assert llm.status_code == 200
    assert set(llm.json()["checks"]) == {"model_runner", "providers"}
    assert all(state == "ok" for state in llm.json()["checks"]["providers"].values())
    assert every.status_code == 200
    assert every.json()["checks"] == {
        "database": "ok",
        "schema": "ok",
        "redis": "disabled",
        **llm.json()["checks"],
        "jobs": "ok",
    }


async def test_an_unreachable_redis_fails_its_route_and_all_but_not_the_database_route(
    database_url: str, tmp_path: Path
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    settings = make_settings(database_url, tmp_path, redis_url=closed, jobs={"backend": "embedded"})
    async with running_app(settings) as (_, client):
        redis = await client.get("/health/redis")
        every = await client.get("/health/all")
        db = await client.get("/health/db")

    assert redis.status_code == 503
    assert redis.json()["status"] == "unhealthy"
    assert redis.json()["checks"]["redis"].startswith("failed: ")
    assert closed not in redis.text  # the address is not told to anonymous callers
    assert every.status_code == 503
    assert db.status_code == 200


async def test_a_provider_whose_circuit_opened_makes_the_llm_route_unhealthy(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    providers = (await client.get("/health/llm")).json()["checks"]["providers"]
    name = next(iter(providers))
    runtime.models.breaker(name).record_failure(retry_after=60)  # as a 429 from upstream does

    response = await client.get("/health/llm")

    assert response.status_code == 503
    assert response.json()["checks"]["providers"][name].startswith("failed: circuit open")
