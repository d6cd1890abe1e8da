"""Render every error as {"error": code, "detail": message}; never leak internals.

Under /v1 (the OpenAI-compatible API) the same errors take OpenAI's shape,
{"error": {"message", "type", "param", "code"}}, so OpenAI SDKs raise their usual types.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cognitia.errors import CognitiaError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}
OPENAI_PREFIX = "/v1/"


def _json(
    status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _render(
    request: Request,
    status: int,
    body: dict[str, Any],
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    if not request.url.path.startswith(OPENAI_PREFIX):
        return _json(status, body, headers)
    # OpenAI answers invalid parameters with 400, not 422.
    openai_status = 400 if status == 422 else status
    error = {
        "message": body.get("detail", ""),
        "type": _OPENAI_TYPES.get(openai_status, "api_error"),
        "param": body["fields"][0]["field"] if body.get("fields") else None,
        "code": body.get("error"),
    }
    return _json(openai_status, {"error": error}, headers)


async def _cognitia_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CognitiaError)
    if exc.status_code >= 500:
        log.error("request failed", extra={"error": exc.code})
    return _render(request, exc.status_code, exc.body(), exc.headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "field": ".".join(str(part) for part in err.get("loc", ())[1:]) or "body",
            "message": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(err.get("type") == "json_invalid" for err in exc.errors()):
        body = {"error": "malformed_json", "detail": "The body is not valid JSON."}
        return _render(request, 400, body)
    fields = _field_errors(exc)
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return _render(request, 422, {"error": "validation_error", "detail": detail, "fields": fields})


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else code
    return _render(request, exc.status_code, {"error": code, "detail": detail}, exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error")
    body = {"error": "internal_error", "detail": "Something went wrong on our side."}
    return _render(request, 500, body)


def install(app: FastAPI) -> None:
    app.add_exception_handler(CognitiaError, _cognitia_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
