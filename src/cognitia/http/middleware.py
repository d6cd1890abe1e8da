"""ASGI middleware: request id, request log and metrics, security headers (HSTS in production).

Pure ASGI (not BaseHTTPMiddleware) so streamed responses pass through untouched.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cognitia.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger("cognitia.http")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), geolocation=(), microphone=(self)"),
]


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


# Where the rate limit a request passed leaves its X-RateLimit-* headers (billing/rates.py),
# so streamed and error responses carry them too.
RATE_LIMIT_STATE = "rate_limit_headers"


def _rate_limit_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    found: dict[str, str] = scope.get("state", {}).get(RATE_LIMIT_STATE) or {}
    return [(name.lower().encode(), value.encode()) for name, value in found.items()]


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: str | None = None) -> None:
        self.app = app
        self.headers = list(SECURITY_HEADERS)
        if hsts:
            self.headers.append((b"strict-transport-security", hsts.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(self.headers)
                headers.extend(_rate_limit_headers(scope))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self._record(scope, status["code"], time.perf_counter() - started)
            structlog.contextvars.clear_contextvars()

    @staticmethod
    def _record(scope: Scope, status: int, seconds: float) -> None:
        route = _route_template(scope)
        method: str = scope["method"]
        HTTP_REQUESTS.labels(route, method, str(status)).inc()
        HTTP_LATENCY.labels(route, method).observe(seconds)
        fields: dict[str, Any] = {
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        }
        log.info("request", extra=fields)
