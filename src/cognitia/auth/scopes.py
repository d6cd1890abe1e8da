"""What each API key scope reaches, decided by the route's path template.

Deny by default: a route is open to a `chat` key only under a prefix listed here, so a new
route elsewhere needs a `full` key (or a login) until someone decides otherwise.
"""

from __future__ import annotations

from cognitia.auth.errors import InsufficientScope
from cognitia.models.api_key import ApiKeyScope

CHAT_ROUTE_PREFIXES = ("/api/v2/chats", "/v1")


def check(scope: ApiKeyScope | None, route_path: str) -> None:
    """Raise InsufficientScope unless a credential of `scope` may call `route_path`.

    `None` is a login session, which may call everything its user may.
    """
    if scope is None or scope is ApiKeyScope.FULL:
        return
    if not any(_under(route_path, prefix) for prefix in CHAT_ROUTE_PREFIXES):
        raise InsufficientScope()


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(f"{prefix}/")
