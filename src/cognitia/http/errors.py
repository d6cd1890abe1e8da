"""Render every error as {"error": code, "detail": message}; never leak internals."""

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


def _json(status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


async def _cognitia_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CognitiaError)
    if exc.status_code >= 500:
        log.error("request failed", extra={"error": exc.code})
    return _json(exc.status_code, exc.body(), exc.headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "field": ".".join(str(part) for part in err.get("loc", ())[1:]) or "body",
            "message": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(err.get("type") == "json_invalid" for err in exc.errors()):
        return _json(400, {"error": "malformed_json", "detail": "The body is not valid JSON."})
    fields = _field_errors(exc)
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return _json(422, {"error": "validation_error", "detail": detail, "fields": fields})


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else code
    return _json(exc.status_code, {"error": code, "detail": detail}, exc.headers)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error")
    return _json(500, {"error": "internal_error", "detail": "Something went wrong on our side."})


def install(app: FastAPI) -> None:
    app.add_exception_handler(CognitiaError, _cognitia_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
