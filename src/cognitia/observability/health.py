"""/health, /healthz (alive), /readyz (ready for traffic), /health/{db,redis,llm,all} (one
dependency each, for dashboards and people), /metrics. The checks are in probes.py."""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cognitia import __version__
from cognitia.http.deps import DbDep, ModelsDep, RedisDep, SettingsDep, VoicesDep
from cognitia.observability import probes

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "healthy", "version": __version__}


@router.get("/healthz")
async def liveness() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readiness(  # noqa: PLR0913 -- one dependency per thing it checks
    request: Request,
    db: DbDep,
    redis: RedisDep,
    settings: SettingsDep,
    models: ModelsDep,
    voices: VoicesDep,
) -> JSONResponse:
    checks: dict[str, Any] = await _database_checks(request, db)
    if redis is not None:
        checks["redis"] = await probes.redis(redis)
    checks["jobs"] = _job_runner_state(request)
    # A runner that starts on first use (start_at_boot false) is not waited for.
    if settings.llm.runner.start_at_boot and models.needs_runner():
        checks["model_runner"] = models.runner.describe()
    if settings.voice.enabled and settings.voice.runner.start_at_boot and voices.runner:
        checks["voice_runner"] = voices.runner.describe()
    if _draining(request):
        checks["shutdown"] = "draining: finishing replies, taking no new work"
    ready = probes.healthy(checks)
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks}, 200 if ready else 503
    )


@router.get("/health/db")
async def database_health(request: Request, db: DbDep) -> JSONResponse:
    return _answer(await _database_checks(request, db))


@router.get("/health/redis")
async def redis_health(redis: RedisDep) -> JSONResponse:
    return _answer({"redis": await probes.redis(redis)})


@router.get("/health/llm")
async def llm_health(settings: SettingsDep, models: ModelsDep) -> JSONResponse:
    return _answer(_llm_checks(settings, models))


@router.get("/health/all")
async def all_health(
    request: Request, db: DbDep, redis: RedisDep, settings: SettingsDep, models: ModelsDep
) -> JSONResponse:
    checks = await _database_checks(request, db)
    checks["redis"] = await probes.redis(redis)
    checks.update(_llm_checks(settings, models))
    checks["jobs"] = _job_runner_state(request)
    return _answer(checks)


def _answer(checks: dict[str, Any]) -> JSONResponse:
    healthy = probes.healthy(checks)
    body = {"status": "healthy" if healthy else "unhealthy", "checks": checks}
    return JSONResponse(body, 200 if healthy else 503)


async def _database_checks(request: Request, db: DbDep) -> dict[str, Any]:
    checks: dict[str, Any] = {"database": await probes.database(db)}
    if checks["database"] == "ok":
        checks["schema"] = await probes.schema(getattr(request.app.state, "schema_check", None))
    return checks


def _llm_checks(settings: SettingsDep, models: ModelsDep) -> dict[str, Any]:
    return {
        "model_runner": probes.model_runner(settings, models),
        "providers": probes.providers(models),
    }


class Draining(Protocol):
    """The lifespan's shutdown state (chats/shutdown.py: GracefulShutdown)."""

    @property
    def draining(self) -> bool: ...


def _draining(request: Request) -> bool:
    shutdown: Draining | None = getattr(request.app.state, "shutdown", None)
    return shutdown is not None and shutdown.draining


def _job_runner_state(request: Request) -> str:
    task = getattr(request.app.state, "runner_task", None)
    if task is None:
        return "external"  # jobs run in `cognitia worker` processes
    return "failed: runner stopped" if task.done() else "ok"


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
