"""Refusing requests while the database schema is behind the code (migrations/status.py).

Pure ASGI, in front of the routes: 503 schema_out_of_date with what to do, instead of
a 500 from a missing table. Health and metrics stay open, so /readyz can say why.
"""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from cognitia.migrations.status import SchemaCheck

log = logging.getLogger(__name__)

SCHEMA_OUT_OF_DATE = "schema_out_of_date"
OPEN_PATHS = frozenset(
    {
        "/health",
        "/healthz",
        "/readyz",
        "/metrics",
        "/health/db",
        "/health/redis",
        "/health/llm",
        "/health/all",
    }
)


class SchemaGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = None
        if scope["type"] == "http" and scope["path"] not in OPEN_PATHS:
            problem = await _problem(scope)
        if problem is None:
            await self.app(scope, receive, send)
            return
        body = {"error": SCHEMA_OUT_OF_DATE, "detail": problem}
        await JSONResponse(body, status_code=503, headers={"Retry-After": "10"})(
            scope, receive, send
        )


async def _problem(scope: Scope) -> str | None:
    check: SchemaCheck | None = getattr(scope["app"].state, "schema_check", None)
    if check is None:  # the lifespan has not run (or not yet)
        return None
    try:
        return await check.problem()
    except Exception:
        # The database cannot be asked: the request will say so itself, more precisely.
        log.warning("could not read the database's schema revision", exc_info=True)
        return None
