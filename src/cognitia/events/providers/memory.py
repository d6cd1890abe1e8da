"""The in-process EventBus (one API process, the embedded default), and the fan-out to
local subscribers that the Redis adapter reuses.

Every subscriber has its own bounded inbox. A subscriber that falls behind by more than
`queue_size` events loses the oldest ones (counted in `Subscription.dropped`): publishing
never waits for a slow reader, so one stalled browser tab cannot hold up a reply that
others are watching. Events travel JSON-encoded, as they do through Redis, so an event
that Redis would refuse is refused here too and each subscriber gets its own copy.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

DEFAULT_QUEUE_SIZE = 1000


class Inbox:
    """One subscriber's bounded queue of JSON-encoded events."""

    def __init__(self, size: int) -> None:
        self._items: deque[str] = deque()
        self._size = size
        self._wakeup = asyncio.Event()
        self.closed = False
        self.dropped = 0

    def put(self, data: str) -> None:
        if self.closed:
            return
        if len(self._items) >= self._size:
            self._items.popleft()
            self.dropped += 1
        self._items.append(data)
        self._wakeup.set()

    async def get(self) -> str | None:
        """The next event, or None once the inbox is closed and empty."""
        while not self._items:
            if self.closed:
                return None
            self._wakeup.clear()
            await self._wakeup.wait()
        return self._items.popleft()

    def close(self, *, discard: bool = False) -> None:
        """No more events; what is queued is still read, unless `discard`."""
        self.closed = True
        if discard:
            self._items.clear()
        self._wakeup.set()


class Subscription:
    """Events on one channel as an async iterator; `aclose()` unsubscribes.

    The iterator ends when it is closed (at once: what was queued is dropped, so a
    stream cut off reads nothing more) or when the bus closes (after what was queued).
    """

    def __init__(
        self,
        inbox: Inbox,
        *,
        ready: Callable[[], Awaitable[None]],
        on_close: Callable[[], Awaitable[None]],
    ) -> None:
        self._inbox = inbox
        self._ready = ready
        self._on_close = on_close

    @property
    def dropped(self) -> int:
        """Events lost because this subscriber fell too far behind."""
        return self._inbox.dropped

    async def ready(self) -> None:
        """Return once the subscription is live: what is published from now on arrives."""
        await self._ready()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        data = await self._inbox.get()
        if data is None:
            raise StopAsyncIteration
        event: dict[str, Any] = json.loads(data)
        return event

    async def aclose(self) -> None:
        if self._inbox.closed:
            return
        self._inbox.close(discard=True)
        await self._on_close()


class Fanout:
    """Channel name -> the inboxes of this process's subscribers."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._inboxes: dict[str, set[Inbox]] = {}

    def add(self, channel: str) -> Inbox:
        inbox = Inbox(self.queue_size)
        self._inboxes.setdefault(channel, set()).add(inbox)
        return inbox

    def remove(self, channel: str, inbox: Inbox) -> None:
        inboxes = self._inboxes.get(channel)
        if inboxes is None:
            return
        inboxes.discard(inbox)
        if not inboxes:
            del self._inboxes[channel]

    def count(self, channel: str) -> int:
        return len(self._inboxes.get(channel, ()))

    def deliver(self, channel: str, data: str) -> None:
        for inbox in self._inboxes.get(channel, ()):
            inbox.put(data)

    def close(self) -> None:
        for inboxes in self._inboxes.values():
            for inbox in inboxes:
                inbox.close()
        self._inboxes.clear()


async def _nothing() -> None:
    return None


class InMemoryEventBus:
    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._fanout = Fanout(queue_size)
        self._closed = False

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        data = json.dumps(event)
        if not self._closed:
            self._fanout.deliver(channel, data)

    def subscribe(self, channel: str) -> Subscription:
        inbox = Inbox(0) if self._closed else self._fanout.add(channel)
        if self._closed:
            inbox.close()

        async def unsubscribe() -> None:
            self._fanout.remove(channel, inbox)

        return Subscription(inbox, ready=_nothing, on_close=unsubscribe)

    def subscribers(self, channel: str) -> int:
        """How many subscriptions of this bus listen on `channel`."""
        return self._fanout.count(channel)

    async def close(self) -> None:
        self._closed = True
        self._fanout.close()
