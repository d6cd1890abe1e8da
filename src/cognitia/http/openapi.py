"""The OpenAPI spec as the API behaves, not as FastAPI assumes.

FastAPI describes a 422 as its own `{"detail": [...]}` and knows nothing of the answers
that come from outside a route: a body that is not JSON (400), a missing or bad token
(401) and a key whose scope does not reach the route (403), or the OpenAI shape of every
error under /v1. Routers list their own errors in `responses=` (404, 409, 429, 5xx);
this adds what every route of a kind shares and gives each error its real body.
A method a path does not have answers 405 with `Allow` (errors.py); that is said once,
in the spec's description, not on every path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from cognitia.http.errors import OPENAI_PREFIX, ErrorBody, OpenAIErrorBody, ValidationErrorBody

Operation = dict[str, Any]
_SCHEMAS: tuple[type[BaseModel], ...] = (ErrorBody, ValidationErrorBody, OpenAIErrorBody)
_FASTAPI_SCHEMAS = ("HTTPValidationError", "ValidationError")
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})

SHARED = {
    400: "bad_request, malformed_json: the body could not be read",
    401: "not_authenticated, invalid_token, token_expired",
    403: "forbidden: the account or the API key's scope may not do this",
    422: "validation_error: `fields` names each problem",
    429: "rate_limited: too many requests in the window (Retry-After, X-RateLimit-*)",
}
METHOD_NOT_ALLOWED = (
    "A method a path does not have (OPTIONS included, unless CORS is configured) answers"
    " 405 `method_not_allowed` with an `Allow` header listing the methods it has."
)


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}


def _shared_statuses(operation: Operation) -> list[int]:
    statuses = []
    if "requestBody" in operation:
        statuses.append(400)
    if operation.get("security"):
        statuses += [401, 403]
    if "requestBody" in operation or operation.get("parameters"):
        statuses.append(422)
    statuses.append(429)  # every route but the health checks is rate limited (billing/rates.py)
    return statuses


def _describe(path: str, operation: Operation) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in _shared_statuses(operation):
        responses.setdefault(str(status), {"description": SHARED[status]})
    openai = path.startswith(OPENAI_PREFIX)
    if openai and "422" in responses:
        # OpenAI answers invalid parameters with 400, and so does /v1 (errors.py).
        responses.setdefault("400", responses.pop("422"))
    for code, response in responses.items():
        if code[0] in "45" and not _has_own_body(response):
            model = OpenAIErrorBody if openai else _error_model(code)
            response["content"] = _ref(model)


def _has_own_body(response: dict[str, Any]) -> bool:
    """A router that gave an error its own schema keeps it; FastAPI's 422 does not."""
    content = response.get("content")
    return bool(content) and "HTTPValidationError" not in str(content)


def _error_model(code: str) -> type[BaseModel]:
    return ValidationErrorBody if code == "422" else ErrorBody


def describe_errors(spec: dict[str, Any]) -> None:
    """Add the shared errors to every operation and give every error its body schema."""
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method in _METHODS:
                _describe(path, operation)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_SCHEMAS:
        schemas.pop(name, None)
    for model in _SCHEMAS:
        definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(definition.pop("$defs", {}))
        schemas[model.__name__] = definition
    info = spec.setdefault("info", {})
    info["description"] = f"{info.get('description', '')}\n\n{METHOD_NOT_ALLOWED}".strip()


def install(app: FastAPI) -> None:
    """Serve the described spec at /openapi.json (built once, on first request)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            describe_errors(spec)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
