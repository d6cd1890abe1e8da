"""JSON logs through structlog; every line carries the request id of its request."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

# Anything that looks like a credential is masked before a line is written.
# Keys are matched in query strings (token=...), key=value text and JSON ("access_token": "...").
_SECRET_PATTERNS = [
    re.compile(r"(token[\"']?\s*[:=]\s*[\"']?)[^&\s\"',}]+", re.IGNORECASE),
    re.compile(r"(bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
    re.compile(r"(cgk_)[A-Za-z0-9_-]+"),
    # A quoted password may hold spaces: mask up to its closing quote.
    re.compile(r"(password[\"']?\s*[:=]\s*\")[^\"]*", re.IGNORECASE),
    re.compile(r"(password[\"']?\s*[:=]\s*')[^']*", re.IGNORECASE),
    re.compile(r"(password[\"']?\s*[:=]\s*)[^\"',\s}]+", re.IGNORECASE),
]
_SECRET_KEYS = {
    "password",
    "token",
    "access_token",
    "refresh_token",
    "authorization",
    "key",
    "secret",
}


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1[redacted]", text)
    return text


def _redact_event(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key, value in list(event.items()):
        if key.lower() in _SECRET_KEYS:
            event[key] = "[redacted]"
        elif isinstance(value, str):
            event[key] = redact(value)
    return event


def _copy_extra(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """Lift `extra={...}` fields of stdlib log calls into the JSON line."""
    record: logging.LogRecord | None = event.get("_record")
    if record is not None:
        for key, value in record.__dict__.items():
            if key not in _STD_ATTRS and not key.startswith("_") and key not in event:
                event[key] = value
    return event


_STD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        return None


def configure(level: str = "INFO", *, json: bool = True) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _copy_extra,
        _redact_event,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.captureWarnings(True)  # warnings become JSON lines too, not bare text on stderr
    for name in ("uvicorn", "uvicorn.error", "taskiq"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our middleware logs requests
    # httpx logs every request at INFO: the model runner's health checks every few seconds
    # would bury everything else. Failures still reach the log through our own lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
