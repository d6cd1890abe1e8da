"""The /events streams open in this process, and ending them: when access to what they
watch is revoked (in any process), and when the process shuts down.

A revocation (events/revocations.py) names a user, a chat or a session. Each stream it
concerns checks again, as a new request would (its credentials, then its membership),
and one no longer admitted ends at once with `error` access_revoked. At shutdown every
stream ends with `error` server_shutting_down, after the events published before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cognitia.chats import live
from cognitia.errors import CognitiaError
from cognitia.events import follow
from cognitia.events.ports import EventBus
from cognitia.events.revocations import REVOKED_CHANNEL, Revocation
from cognitia.kit.ids import new_id

log = logging.getLogger(__name__)

# Raises a CognitiaError (the one a new request would get) once the watcher is not admitted.
Check = Callable[[], Awaitable[None]]


@dataclass(frozen=True, eq=False)
class Watcher:
    user_id: str
    chat_id: str
    session_id: str | None
    check: Check


class Watchers:
    """The streams of one process, built by the composition root; closed with it."""

    def __init__(self) -> None:
        self.owner = new_id()  # names this process's streams in CLOSING events
        self._open: dict[live.Relay, Watcher] = {}
        self._none_open = asyncio.Event()
        self._none_open.set()
        self._listener: asyncio.Task[None] | None = None

    async def open(self, bus: EventBus, watcher: Watcher) -> live.Relay:
        """A live relay of the watcher's chat, once `watcher.check` admits it.

        Subscribed and registered before the check, so a revocation committed meanwhile
        is either seen by the check or re-checks the stream.
        """
        relay = await live.relay(bus, watcher.chat_id, owner=self.owner)
        self._open[relay] = watcher
        self._none_open.clear()
        try:
            await watcher.check()
        except BaseException:
            await self.release(relay)
            raise
        return relay

    async def release(self, relay: live.Relay) -> None:
        """Forget a stream that ended, and end its subscription."""
        self._open.pop(relay, None)
        if not self._open:
            self._none_open.set()
        await relay.aclose()

    async def listen(self, bus: EventBus) -> None:
        """Follow revocations from every process; returns once listening (or trying)."""
        if self._listener is None:
            self._listener = await follow.start(bus, REVOKED_CHANNEL, self._revoked)

    async def _revoked(self, item: dict[str, Any]) -> None:
        revocation = Revocation.from_event(item)
        concerned = [
            (relay, watcher)
            for relay, watcher in self._open.items()
            if revocation.concerns(
                user_id=watcher.user_id, chat_id=watcher.chat_id, session_id=watcher.session_id
            )
        ]
        await asyncio.gather(*(self._recheck(relay, watcher) for relay, watcher in concerned))

    async def _recheck(self, relay: live.Relay, watcher: Watcher) -> None:
        try:
            await watcher.check()
        except CognitiaError as exc:
            await relay.end(live.Error(live.ACCESS_REVOKED, exc.detail))
        except Exception:
            # A check that could not be made (the database unreachable) cuts no one off.
            log.warning("re-checking an event stream failed", exc_info=True)

    async def end_all(self, bus: EventBus, *, wait_seconds: float) -> None:
        """End every stream with `error` server_shutting_down, after what this process
        published before (through the bus, so in order); streams that have not ended
        after `wait_seconds` (a stalled reader) are cut off."""
        final = live.Error(live.SHUTTING_DOWN, "The server is restarting; connect again.")
        for chat_id in {watcher.chat_id for watcher in self._open.values()}:
            await live.publish(bus, chat_id, live.Closing(self.owner, final))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_seconds):
                await self._none_open.wait()
        for relay in list(self._open):
            await relay.end(final)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
