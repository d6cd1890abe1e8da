"""The EventBus port: publish to a channel, subscribe to it.

In-process when embedded (one API process); Redis pub/sub when several API processes
serve the same chats. Delivery is best-effort and live-only: a subscriber sees what is
published while it listens; history comes from the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol


class Subscription(Protocol):
    """Events on one channel from the moment it was made, as an async iterator."""

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]: ...

    async def __anext__(self) -> dict[str, Any]: ...

    async def ready(self) -> None:
        """Return once anything published from now on will be delivered."""
        ...

    async def aclose(self) -> None:
        """Unsubscribe; the iterator ends at once (what was queued is dropped)."""
        ...


class EventBus(Protocol):
    async def publish(self, channel: str, event: dict[str, Any]) -> None: ...

    def subscribe(self, channel: str) -> Subscription:
        """Events on `channel` from now on, until the subscription is closed."""
        ...

    async def close(self) -> None: ...
