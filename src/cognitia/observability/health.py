"""/health, /healthz (alive), /readyz (dependencies reachable), /metrics."""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from cognitia import __version__
from cognitia.http.deps import DbDep, ModelsDep, RedisDep, SettingsDep, VoicesDep
from cognitia.migrations.status import SchemaCheck

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "healthy", "version": __version__}


@router.get("/healthz")
async def liveness() -> dict[str, str]:
    return {"status": "ok"}


async def _check(name: str, checks: dict[str, Any], probe: Any) -> None:
    try:
        await probe()
        checks[name] = "ok"
    except Exception as exc:
        checks[name] = f"failed: {type(exc).__name__}"


@router.get("/readyz")
async def readiness(  # noqa: PLR0913 -- one dependency per thing it checks
    request: Request,
    db: DbDep,
    redis: RedisDep,
    settings: SettingsDep,
    models: ModelsDep,
    voices: VoicesDep,
) -> JSONResponse:
    checks: dict[str, Any] = {}

    async def database() -> None:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    await _check("database", checks, database)
    if checks["database"] == "ok":
        checks["schema"] = await _schema_state(request)
    if redis is not None:
        client = redis

        async def ping() -> None:
            await client.ping()

        await _check("redis", checks, ping)
    checks["jobs"] = _job_runner_state(request)
    # A runner that starts on first use (start_at_boot false) is not waited for.
    if settings.llm.runner.start_at_boot and models.needs_runner():
        checks["model_runner"] = models.runner.describe()
    if settings.voice.enabled and settings.voice.runner.start_at_boot and voices.runner:
        checks["voice_runner"] = voices.runner.describe()
    if _draining(request):
        checks["shutdown"] = "draining: finishing replies, taking no new work"
    ready = all(value == "ok" or value == "external" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks}, 200 if ready else 503
    )


async def _schema_state(request: Request) -> str:
    """ok, or why the schema does not fit this code (migrations/status.py)."""
    check: SchemaCheck | None = getattr(request.app.state, "schema_check", None)
    if check is None:
        return "ok"
    try:
        problem = await check.problem(fresh=True)
    except Exception as exc:
        return f"failed: {type(exc).__name__}"
    return "ok" if problem is None else f"failed: {problem}"


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
