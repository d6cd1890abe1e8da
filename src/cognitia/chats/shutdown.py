"""Ending this process's chat streams gracefully when the server is told to stop.

On SIGTERM uvicorn stops accepting connections and waits for the open ones. Replies being
generated here get `http.shutdown_grace_seconds` to finish; any still running then is
stopped and saved as interrupted, and its poster's stream ends with `error` interrupted
and `message.completed`. Then every /events stream ends with `error`
server_shutting_down, after the events published before it. docs/operations.md puts this
in a rolling restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from cognitia.chats.generation import Generations
from cognitia.chats.watchers import Watchers
from cognitia.config import Settings
from cognitia.events.ports import EventBus

log = logging.getLogger(__name__)

# After the grace: saving interrupted replies and sending every stream its last event.
LAST_EVENTS_SECONDS = 5.0


def stream_grace_seconds(settings: Settings) -> float:
    """How long an SSE response may outlive the exit signal (sse-starlette then cuts it)."""
    return settings.http.shutdown_grace_seconds + LAST_EVENTS_SECONDS


def server_timeout_seconds(settings: Settings) -> int:
    """uvicorn's timeout_graceful_shutdown: a little longer than any stream may last."""
    return int(stream_grace_seconds(settings)) + 1


# How often the exit flag is looked at: uvicorn's own main loop looks every 0.1 s.
EXIT_POLL_SECONDS = 0.2


def exiting() -> bool:
    """Whether the uvicorn server of this process was told to stop (SIGTERM, Ctrl-C).

    uvicorn's signal handler is a method of its Server, which sets `should_exit`; that is
    how sse-starlette finds it too, and how a test's uvicorn is stopped.
    """
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    return bool(getattr(server, "should_exit", False))


async def exit_requested() -> None:
    """Return once the server was told to stop."""
    # A flag set by a signal handler, not an event anyone could wait on: looked at.
    while not exiting():  # noqa: ASYNC110
        await asyncio.sleep(EXIT_POLL_SECONDS)


class GracefulShutdown:
    """Started with the app; its drain runs once, on the exit signal (or when the
    lifespan ends after one)."""

    def __init__(
        self, generations: Generations, watchers: Watchers, bus: EventBus, grace_seconds: float
    ) -> None:
        self._generations, self._watchers, self._bus = generations, watchers, bus
        self._grace = grace_seconds
        self._waiting: asyncio.Task[None] | None = None
        self._drain: asyncio.Task[None] | None = None

    @property
    def draining(self) -> bool:
        return self._drain is not None

    def start(self) -> None:
        self._waiting = asyncio.create_task(self._on_exit(), name="graceful-shutdown")

    async def _on_exit(self) -> None:
        await exit_requested()
        log.info("shutting down: replies in flight get %ss to finish", self._grace)
        await self.drain()

    async def drain(self) -> None:
        """Let replies finish within the grace, interrupt the rest, end every stream."""
        if self._drain is None:
            self._drain = asyncio.create_task(self._run(), name="graceful-shutdown-drain")
        await asyncio.shield(self._drain)

    async def _run(self) -> None:
        try:
            async with asyncio.timeout(self._grace):
                await self._generations.drain()
        except TimeoutError:
            log.warning("shutting down: replies still running after the grace are interrupted")
            await self._generations.close()  # saved as interrupted, their streams told so
        await self._watchers.end_all(self._bus, wait_seconds=LAST_EVENTS_SECONDS / 2)

    async def close(self) -> None:
        """At the end of the lifespan: finish the drain, also one not started yet (uvicorn
        found no open connection to wait for); stop waiting for one."""
        if self._drain is not None or exiting():
            await self.drain()
        if self._waiting is not None:
            self._waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._waiting
