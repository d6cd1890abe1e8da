"""A turn: what one request asks to be generated, and the log of its events.

The log is the fan-out: every reader (the request's SSE response, a non-streaming
request waiting for the end) replays it from the first event, so nobody misses what was
emitted before they started reading, and no reader can hold up the generation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from cognitia.chats import live
from cognitia.chats.live import TurnEvent
from cognitia.chats.replies import Mode
from cognitia.chats.schemas import MessageRead
from cognitia.errors import CognitiaError
from cognitia.events.ports import EventBus
from cognitia.voice.ports import AudioFormat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TurnPlan:
    chat_id: str
    user_id: str  # who asked: {{user}}, and whose usage it is
    speakers: Sequence[str]  # character ids, in speaking order
    mode: Mode = "reply"
    message_id: str | None = None  # the message regenerated or continued
    audio_format: AudioFormat | None = None  # speak the replies in this format (None: don't)


class Turn:
    """A turn's events, kept so every reader sees all of them from the start, and
    published on the chat's live channel for the other people in the chat."""

    def __init__(self, chat_id: str, user_message: MessageRead | None, bus: EventBus) -> None:
        self.chat_id = chat_id
        self.user_message = user_message
        self.replies: list[MessageRead] = []  # each reply's final state
        self.failure: CognitiaError | None = None  # the first reply failed before any text
        self._bus = bus
        self._log: list[TurnEvent] = []
        self._wakeup = asyncio.Event()
        self._done = asyncio.Event()
        self._spoken: list[asyncio.Task[None]] = []  # the replies' audio (chats/speaking.py)
        self._on_failure: list[Callable[[], Awaitable[None]]] = []
        self._on_end: list[Callable[[], Awaitable[None]]] = []

    @property
    def done(self) -> bool:
        return self._done.is_set()

    async def emit(self, item: TurnEvent) -> None:
        """To the request's readers and to the chat's live channel."""
        self._log.append(item)
        self._wake()
        await live.publish(self._bus, self.chat_id, item)

    def keep(self, spoken: asyncio.Task[None]) -> None:
        """A reply's audio task: the turn ends once it has."""
        self._spoken.append(spoken)

    @property
    def last_spoken(self) -> asyncio.Task[None] | None:
        return self._spoken[-1] if self._spoken else None

    def silence(self) -> None:
        """Cancel the audio still being made (the process is shutting down)."""
        for task in self._spoken:
            task.cancel()

    async def spoken(self) -> None:
        """Wait for the replies' audio to be spoken (or to have failed or stopped)."""
        await asyncio.gather(*self._spoken, return_exceptions=True)

    def on_failure(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run `callback` when the turn ends with `failure` (a quota unit to give back).
        Register it before the turn's task first runs: right after Generations.start."""
        self._on_failure.append(callback)

    def on_end(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run `callback` when the turn ends, however it ends (a generation slot to free)."""
        self._on_end.append(callback)

    async def settle(self) -> None:
        """At the end of the turn: the failure callbacks if it failed, then the end ones."""
        failed = self._on_failure if self.failure is not None else []
        for callback in [*failed, *self._on_end]:
            try:
                await callback()
            except Exception:
                log.exception("a turn's failure callback failed")

    def finish(self) -> None:
        self._done.set()
        self._wake()

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    async def events(self) -> AsyncIterator[TurnEvent]:
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
