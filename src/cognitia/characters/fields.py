"""Validated field types shared by the characters, lorebooks and personas schemas and the cards.

PostgreSQL can store neither NUL in text nor non-finite numbers or lone surrogates in
JSON, so these are refused here, at the edge, on both backends alike.
"""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

from cognitia.kit.names import check_name

LONG_TEXT = 50_000
MAX_JSON_BYTES = 1_000_000
MAX_JSON_DEPTH = 64
# PostgreSQL INTEGER.
INT32_MAX = 2**31 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed.")
    return value


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("Control characters are not allowed.")
    return value


def check_json(value: Any, *, depth: int = 0) -> None:
    """Raise ValueError unless `value` is JSON both databases can store."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError("JSON nested too deeply.")
    if isinstance(value, str):
        _check_string(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("Numbers must be finite.")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError("Object keys must be text.")
            _check_string(key)
            check_json(item, depth=depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_json(item, depth=depth + 1)
    elif value is not None and not isinstance(value, bool | int | float):
        raise ValueError(f"Not a JSON value: {type(value).__name__}.")


def _check_string(value: str) -> None:
    _no_nul(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode (no lone surrogates).") from None


def check_json_object(value: dict[str, Any]) -> dict[str, Any]:
    """`value` if both databases can store it and it is at most MAX_JSON_BYTES long."""
    check_json(value)
    if len(json.dumps(value, ensure_ascii=False)) > MAX_JSON_BYTES:
        raise ValueError(f"At most {MAX_JSON_BYTES} characters of JSON.")
    return value


NoNul = AfterValidator(_no_nul)
NoControl = AfterValidator(_no_control_characters)
LongText = Annotated[str, Field(max_length=LONG_TEXT), AfterValidator(_no_nul)]
ShortText = Annotated[str, Field(max_length=200), AfterValidator(_no_nul)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(check_name),
]
Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=36),
    AfterValidator(_no_control_characters),
]
Setting = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_characters),
]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_no_control_characters),
]
Tags = Annotated[list[Tag], Field(max_length=30)]
Greetings = Annotated[list[LongText], Field(max_length=100)]
JsonObject = Annotated[dict[str, Any], AfterValidator(check_json_object)]
Int32 = Annotated[int, Field(ge=-INT32_MAX, le=INT32_MAX)]
