"""What a call sends the browser, one frame at a time: a caption and its audio always go
out together, whichever task sends them (the turn's relay, the microphone's events)."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from cognitia.chats.call.protocol import Caption


class Socket(Protocol):
    """The parts of a WebSocket (starlette's) that a call writes to."""

    async def send_json(self, data: Any, mode: str = "text") -> None: ...

    async def send_bytes(self, data: bytes) -> None: ...


class Outbox:
    def __init__(self, socket: Socket) -> None:
        self._socket = socket
        self._lock = asyncio.Lock()

    async def send(self, frame: dict[str, Any]) -> None:
        async with self._lock:
            await self._socket.send_json(frame)

    async def caption(self, caption: Caption) -> None:
        """The caption, then its audio (none when the voice failed: text only)."""
        async with self._lock:
            await self._socket.send_json(caption.frame())
            if caption.audio:
                await self._socket.send_bytes(caption.audio)
