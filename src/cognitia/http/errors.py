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
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from cognitia.errors import CognitiaError

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """Every error outside /v1: a stable code, and a message for people."""

    error: str
    detail: str


class FieldError(BaseModel):
    field: str
    message: str
    type: str


class ValidationErrorBody(ErrorBody):
    """422: each field that failed, by its dotted path."""

    fields: list[FieldError]


class OpenAIError(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class OpenAIErrorBody(BaseModel):
    """Every error under /v1, in OpenAI's shape."""

    error: OpenAIError


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
    body = exc.body()
    if exc.status_code == 422:
        body.setdefault("fields", [])  # every 422 has them, as the spec says
    return _render(request, exc.status_code, body, exc.headers)


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
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request, headers.get("Allow", ""))
    return _render(request, exc.status_code, {"error": code, "detail": detail}, headers)


def _allowed_methods(request: Request, starlette_allow: str) -> str:
    """Every method of the path, as the spec lists them. Starlette names only those of
    the first route that matched, and FastAPI makes a route per method. Where templates
    overlap (/characters/marketplace and /characters/{character_id}) the most literal
    one is the path's."""
    spec: dict[str, Any] = request.app.openapi()
    matches = [
        (template.count("{"), item)
        for template, item in spec.get("paths", {}).items()
        if compile_path(template)[0].match(request.url.path)
    ]
    if not matches:
        return starlette_allow
    fewest = min(params for params, _ in matches)
    methods = {m.upper() for n, item in matches if n == fewest for m in item if m != "parameters"}
    return ", ".join(sorted(methods))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error")
    body = {"error": "internal_error", "detail": "Something went wrong on our side."}
    return _render(request, 500, body)


def install(app: FastAPI) -> None:
    app.add_exception_handler(CognitiaError, _cognitia_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
