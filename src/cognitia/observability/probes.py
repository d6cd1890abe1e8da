"""One check per dependency, shared by /readyz and /health/{db,redis,llm,all}.

Each probe answers "ok", "external" (someone else runs it), "disabled" (not configured),
"idle" (a runner that starts on first use, not used yet) or "failed: <why>" (never a URL
or a secret: these routes need no sign-in).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text

from cognitia.config import Settings
from cognitia.db import Database
from cognitia.llm.breaker import BreakerState
from cognitia.llm.registry import ModelRegistry
from cognitia.migrations.status import SchemaCheck

HEALTHY = frozenset({"ok", "external", "disabled", "idle"})


async def outcome(probe: Callable[[], Awaitable[Any]]) -> str:
    try:
        await probe()
    except Exception as exc:
        return f"failed: {type(exc).__name__}"
    return "ok"


async def database(db: Database) -> str:
    async def select_one() -> None:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    return await outcome(select_one)


async def schema(check: SchemaCheck | None) -> str:
    """ok, or why the schema does not fit this code (migrations/status.py)."""
    if check is None:
        return "ok"
    try:
        problem = await check.problem(fresh=True)
    except Exception as exc:
        return f"failed: {type(exc).__name__}"
    return "ok" if problem is None else f"failed: {problem}"


async def redis(client: Redis | None) -> str:
    if client is None:
        return "disabled"

    async def ping() -> None:
        await client.ping()

    return await outcome(ping)


def model_runner(settings: Settings, models: ModelRegistry) -> str:
    """The local model runner, when a lane or the embedder needs it."""
    if not models.needs_runner():
        return "disabled"
    described = models.runner.describe()
    if not settings.llm.runner.start_at_boot and described.startswith("stopped"):
        return "idle"
    return described


def providers(models: ModelRegistry) -> dict[str, str]:
    """Each provider the lanes use, by its circuit breaker: what this process's real traffic
    found. Nothing is sent upstream for a health check (a hosted model costs money)."""
    catalogue = models.catalogue
    in_lanes = {model for chain in catalogue.lanes.values() for model in chain}
    names = sorted({catalogue.models[model].provider for model in in_lanes})
    return {name: _breaker_state(models, name) for name in names}


def _breaker_state(models: ModelRegistry, provider: str) -> str:
    state = models.breaker(provider).state
    if state == BreakerState.CLOSED:
        return "ok"
    return f"failed: circuit {state.value} after repeated errors"


def healthy(checks: dict[str, Any]) -> bool:
    return all(
        healthy(value) if isinstance(value, dict) else value in HEALTHY for value in checks.values()
    )
