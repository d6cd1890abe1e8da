"""Who may read the API docs and the metrics: everyone, the holder of a token, or nobody.

A closed page answers 404, as if it did not exist. A page behind a token takes it as
`Authorization: Bearer <token>` (a Prometheus scrape's `authorization` setting) or as the
password of HTTP Basic with any user name, so a browser asks for it once and sends it
with /openapi.json afterwards. When the metrics have a port of their own (metrics.py),
/metrics on the API's port is closed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from cognitia.config import EndpointAccess, HttpSettings

DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
METRICS_PATHS = frozenset({"/metrics"})


@dataclass(frozen=True)
class Gate:
    access: EndpointAccess
    token: bytes | None
    challenge: str  # the WWW-Authenticate header a refusal carries


def gates_for(http: HttpSettings) -> dict[str, Gate]:
    """Each guarded path and its gate; paths that are open are left out."""
    docs = Gate(http.docs_access, _secret(http.docs_token), 'Basic realm="Cognitia API docs"')
    metrics_access = "closed" if http.metrics_port else http.metrics_access
    metrics = Gate(metrics_access, _secret(http.metrics_token), "Bearer")
    gates = dict.fromkeys(DOCS_PATHS, docs) | dict.fromkeys(METRICS_PATHS, metrics)
    return {path: gate for path, gate in gates.items() if gate.access != "open"}


def _secret(value: object) -> bytes | None:
    get = getattr(value, "get_secret_value", None)
    return get().encode() if get else None


def presented_token(authorization: str) -> bytes | None:
    """The token in a Bearer header, or the password in a Basic one."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip().encode()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return None
        return decoded.partition(b":")[2]
    return None


def _allowed(gate: Gate, scope: Scope) -> bool:
    if gate.access != "token" or gate.token is None:
        return False
    headers = dict(scope.get("headers", []))
    token = presented_token(headers.get(b"authorization", b"").decode("latin-1"))
    return token is not None and hmac.compare_digest(token, gate.token)


def _refusal(gate: Gate) -> JSONResponse:
    if gate.access == "closed":
        return JSONResponse({"error": "not_found", "detail": "Not Found"}, status_code=404)
    body = {"error": "not_authenticated", "detail": "This page needs its access token."}
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": gate.challenge})


class EndpointGate:
    """Pure ASGI, like the other middleware, so streamed responses pass untouched."""

    def __init__(self, app: ASGIApp, *, http: HttpSettings) -> None:
        self.app = app
        self.gates = gates_for(http)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gate = self.gates.get(scope.get("path", "")) if scope["type"] == "http" else None
        if gate is None or _allowed(gate, scope):
            await self.app(scope, receive, send)
            return
        await _refusal(gate)(scope, receive, send)
