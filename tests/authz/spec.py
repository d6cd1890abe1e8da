"""The operations of the real app's OpenAPI spec, and minimal requests built from it.

The matrix reads the spec at collection time, so a route added tomorrow is in the
matrix tomorrow without anyone listing it.
"""

from __future__ import annotations

import functools
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cognitia.app import create_app
from tests.conftest import make_settings

METHODS = ("get", "put", "post", "patch", "delete")
_PARAM = re.compile(r"\{([^}]+)\}")
JSON = "application/json"
MULTIPART = "multipart/form-data"
FILE = "<file>"  # sample()'s value for a file field of a multipart body


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str  # the template: /api/v2/chats/{chat_id}
    spec: Mapping[str, Any]  # the operation object

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        """Path parameters in the order they appear."""
        return _PARAM.findall(self.path)

    @property
    def segments(self) -> list[str]:
        return self.path.strip("/").split("/")

    @property
    def declared(self) -> set[int]:
        """The status codes the spec says the route can answer."""
        return {int(code) for code in self.spec.get("responses", {}) if code.isdigit()}

    @property
    def authenticated(self) -> bool:
        return bool(self.spec.get("security"))

    @property
    def streams(self) -> bool:
        """Answers with an event stream only (a client would wait for it forever)."""
        content = self.spec.get("responses", {}).get("200", {}).get("content", {})
        return set(content) == {"text/event-stream"}

    @property
    def body_schema(self) -> tuple[str, Mapping[str, Any]] | None:
        """(media type, schema) of the request body, if it has one."""
        content = self.spec.get("requestBody", {}).get("content", {})
        for media_type in (JSON, MULTIPART):
            if media_type in content:
                return media_type, content[media_type]["schema"]
        return None

    def url(self, ids: Mapping[str, str]) -> str:
        return _PARAM.sub(lambda m: ids[m.group(1)], self.path)

    def reads_of(self, operations: list[Operation]) -> list[Operation]:
        """The GETs at this path and above it (the object and what holds it): what the owner
        reads before and after to see that nothing changed. Innermost first: reading a chat's
        messages marks them read, which the chat above shows."""
        mine = self.segments
        found = [
            other
            for other in operations
            if other.method == "GET"
            and not other.streams
            and mine[: len(other.segments)] == other.segments
            and set(other.params) <= set(self.params)
        ]
        return sorted(found, key=lambda other: -len(other.segments))


@functools.cache
def document() -> dict[str, Any]:
    """The spec of the app as the tests build it (web UI off, nothing started)."""
    with tempfile.TemporaryDirectory(prefix="cognitia-authz-spec-") as folder:
        data_dir = Path(folder)
        settings = make_settings(f"sqlite+aiosqlite:///{data_dir / 'unused.db'}", data_dir)
        spec: dict[str, Any] = create_app(settings).openapi()
    return spec


@functools.cache
def operations() -> list[Operation]:
    return [
        Operation(method.upper(), path, item[method])
        for path, item in document()["paths"].items()
        for method in METHODS
        if method in item
    ]


def with_ids() -> list[Operation]:
    """Every operation with an id in its path."""
    return [op for op in operations() if op.params]


def resolve(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: Mapping[str, Any] = document()
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    return resolve(found)


def choices(schema: Mapping[str, Any]) -> list[Any]:
    """The values an enum (or a list of one, or an optional one) allows; [] if any."""
    schema = resolve(schema)
    if "enum" in schema:
        return list(schema["enum"])
    for union in ("anyOf", "oneOf"):
        for option in schema.get(union, []):
            if found := choices(option):
                return found
    return choices(schema["items"]) if schema.get("type") == "array" else []


def sample(schema: Mapping[str, Any], values: Mapping[str, Any]) -> Any:
    """The smallest value the schema accepts: required properties only, `values` by
    property name where given (ids, passwords), the first choice of every union or enum."""
    schema = resolve(schema)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for union in ("anyOf", "oneOf", "allOf"):
        if union in schema:
            choices = [s for s in schema[union] if resolve(s).get("type") != "null"]
            return sample(choices[0], values)
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", [])
        properties = schema.get("properties", {})
        return {
            name: values[name] if name in values else sample(properties.get(name, {}), values)
            for name in required
        }
    if kind == "array":
        return [sample(schema.get("items", {}), values) for _ in range(schema.get("minItems", 0))]
    return _scalar(schema)


def _scalar(schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        return max(low, 0) if "maximum" not in schema else min(max(low, 0), schema["maximum"])
    if kind == "boolean":
        return False
    if schema.get("format") == "binary" or "contentMediaType" in schema:
        return FILE
    if schema.get("format") == "email":
        return "someone@example.com"
    return "x" * max(schema.get("minLength", 1), 1)


def key_scopes() -> list[tuple[str | None, dict[str, Any]]]:
    """Each scope an API key can be made with, as the spec says today, and the body fields
    that ask for it ([(None, {})] while keys have no scopes)."""
    [op] = [o for o in operations() if str(o) == "POST /api/v2/api-keys"]
    found = op.body_schema
    assert found is not None
    schema = resolve(found[1])
    for name, field in schema.get("properties", {}).items():
        if name.startswith("scope") and (values := choices(field)):
            listed = resolve(field).get("type") == "array"
            return [(str(v), {name: [v] if listed else v}) for v in values]
    return [(None, {})]
