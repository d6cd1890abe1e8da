"""Replies first: background work in this process steps aside while a reply is starting.

The embedded job runner (memory indexing, fact extraction, summaries) runs in the API
process, on the same event loop, cores and SQLite writer as the replies people wait for.
A reply holds `Priority.foreground()` from its start to its first token; background code
(run under `background()`, as the embedded runner runs its jobs) calls `wait_turn()`
before each database session (cognitia/db.py) and each batch it embeds for the index
(retrieval/service.py), and waits there while any reply is
starting, for at most `max_wait_seconds` at a time, so a steady stream of replies slows
background work but never stops it. Work already in a statement is never interrupted.

On the scaled-out setup background work runs in worker processes, where nothing holds the
foreground and `wait_turn` returns at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar

from cognitia.observability.metrics import BACKGROUND_YIELD_SECONDS

_BACKGROUND: ContextVar[bool] = ContextVar("cognitia_background", default=False)

# The default bound on one wait: long enough for a reply to reach its first token, short
# enough that background work keeps up under a steady load (docs/configuration.md).
DEFAULT_MAX_WAIT_SECONDS = 0.25


@contextlib.contextmanager
def background() -> Iterator[None]:
    """Run the enclosed code (and the tasks it starts) as background work."""
    token = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


class Hold:
    """One reply's claim on the foreground; `release` is safe to call more than once."""

    def __init__(self, priority: Priority) -> None:
        self._priority: Priority | None = priority

    def release(self) -> None:
        if self._priority is not None:
            self._priority._release()
            self._priority = None


class Priority:
    """Who goes first in this process: replies starting, then background work."""

    def __init__(self, max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS) -> None:
        self.max_wait_seconds = max_wait_seconds
        self._starting = 0
        self._waiting = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def starting(self) -> int:
        """Replies holding the foreground now."""
        return self._starting

    @property
    def waiting(self) -> int:
        """Background waits in progress now."""
        return self._waiting

    def hold(self) -> Hold:
        """Take the foreground until the returned hold is released."""
        self._starting += 1
        self._idle.clear()
        return Hold(self)

    @contextlib.contextmanager
    def foreground(self) -> Iterator[Hold]:
        """Hold the foreground in the block (or until released early, at a first token)."""
        hold = self.hold()
        try:
            yield hold
        finally:
            hold.release()

    async def wait_turn(self) -> None:
        """In background work: wait while replies are starting (at most
        `max_wait_seconds`); elsewhere return at once."""
        if not _BACKGROUND.get() or self._idle.is_set() or self.max_wait_seconds <= 0:
            return
        started = time.monotonic()
        self._waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.max_wait_seconds):
                    await self._idle.wait()
        finally:
            self._waiting -= 1
            BACKGROUND_YIELD_SECONDS.inc(time.monotonic() - started)

    def _release(self) -> None:
        self._starting -= 1
        if self._starting == 0:
            self._idle.set()
