"""The EventBus port: publish to a channel, subscribe to it.

In-process when embedded (one API process); Redis pub/sub when several API processes
serve the same chats. Delivery is best-effort and live-only: a subscriber sees what is
published while it listens; history comes from the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol, runtime_checkable


class EventBus(Protocol):
    async def publish(self, channel: str, event: dict[str, Any]) -> None: ...

    def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        """Events on `channel` from now on, until the iterator is closed."""
        ...

    async def close(self) -> None: ...


# What both adapters' subscriptions also offer, beyond the plain async iterator.
@runtime_checkable
class Readiable(Protocol):
    async def ready(self) -> None:
        """Return once anything published from now on will be delivered."""
        ...


@runtime_checkable
class Closable(Protocol):
    async def aclose(self) -> None: ...
