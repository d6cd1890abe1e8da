"""A turn: what one request asks to be generated, and the log of its events.

The log is the fan-out: every reader (the request's SSE response, a non-streaming
request waiting for the end) replays it from the first event, so nobody misses what was
emitted before they started reading, and no reader can hold up the generation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from cognitia.chats.replies import Mode
from cognitia.errors import CognitiaError

Event = dict[str, Any]  # {"event": name, "data": {...}}, as chats.live builds them


@dataclass(frozen=True)
class TurnPlan:
    chat_id: str
    user_id: str  # who asked: {{user}}, and whose usage it is
    speakers: Sequence[str]  # character ids, in speaking order
    mode: Mode = "reply"
    message_id: str | None = None  # the message regenerated or continued


class Turn:
    """A turn's events, kept so every reader sees all of them from the start."""

    def __init__(self, chat_id: str, user_message: dict[str, Any] | None) -> None:
        self.chat_id = chat_id
        self.user_message = user_message
        self.replies: list[dict[str, Any]] = []  # each reply's final state
        self.failure: CognitiaError | None = None  # the first reply failed before any text
        self._log: list[Event] = []
        self._wakeup = asyncio.Event()
        self._done = asyncio.Event()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def add(self, item: Event) -> None:
        self._log.append(item)
        self._wake()

    def finish(self) -> None:
        self._done.set()
        self._wake()

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    async def events(self) -> AsyncIterator[Event]:
        """Every event from the first, then new ones as they come, until the turn ends."""
        index = 0
        while True:
            wakeup = self._wakeup
            while index < len(self._log):
                yield self._log[index]
                index += 1
            if self.done:
                return
            await wakeup.wait()

    async def wait(self) -> None:
        await self._done.wait()
