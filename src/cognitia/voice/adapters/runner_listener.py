"""The TurnDetector port over the voice runner's WebSocket /v1/listen (runner/listening.py):
one WebSocket per call, over the child runner's Unix socket or a shared runner's URL.

Opening waits (within the timeout) for a runner that is starting or restarting, so a call
that lost its runner can open a new Hearing once the supervisor has brought it back.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect, unix_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from cognitia.llm.ports import ProviderUnavailable
from cognitia.llm.runner.supervisor import ChildRunner, Runner
from cognitia.voice.errors import VoiceUnavailable
from cognitia.voice.ports import Heard, SpeechPaused, SpeechResumed, SpeechStarted, SpeechStopped

LISTEN_PATH = "/v1/listen"
MAX_FRAME_BYTES = 8 * 1024 * 1024  # an utterance's PCM comes back in one frame (~4 min)
# Tries to reach a runner that its supervisor is restarting: a crash can take a try while
# the old process dies and another while the new one starts listening.
OPEN_TRIES = 3


class RunnerTurnDetector:
    """Opens a Hearing on the voice runner for each call."""

    def __init__(self, runner: Runner, *, timeout_seconds: float) -> None:
        self._runner = runner
        self._timeout = timeout_seconds

    async def open(
        self, *, silence_ms: int, pause_ms: int, max_utterance_s: float
    ) -> RunnerHearing:
        query = urlencode(
            {"silence_ms": silence_ms, "pause_ms": pause_ms, "max_utterance_s": max_utterance_s}
        )
        path = f"{LISTEN_PATH}?{query}"
        try:
            return RunnerHearing(await self._open(path))
        except (OSError, InvalidHandshake, ProviderUnavailable, TimeoutError) as exc:
            raise VoiceUnavailable(f"The voice runner cannot listen: {exc}") from None

    async def _open(self, path: str) -> ClientConnection:
        for _ in range(OPEN_TRIES - 1):
            await self._runner.ready(self._timeout)
            try:
                return await self._connect(path)
            except (OSError, InvalidHandshake):
                # A runner that has just died, its supervisor not told yet: wait for it.
                # A dying process can still take the connection and drop it mid-handshake
                # (InvalidHandshake), so that counts as unreachable too.
                if not await self._runner.lost():
                    raise
        await self._runner.ready(self._timeout)
        return await self._connect(path)

    async def _connect(self, path: str) -> ClientConnection:
        # ping_interval None: the runner is local or near; a call's audio keeps it busy.
        if isinstance(self._runner, ChildRunner):
            return await unix_connect(
                self._runner.socket,
                f"ws://runner{path}",
                max_size=MAX_FRAME_BYTES,
                open_timeout=self._timeout,
                ping_interval=None,
            )
        base = self._runner.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        return await connect(
            f"{base}{path}",
            max_size=MAX_FRAME_BYTES,
            open_timeout=self._timeout,
            ping_interval=None,
        )


class RunnerHearing:
    def __init__(self, connection: ClientConnection) -> None:
        self._connection = connection
        self._closing = False

    async def send(self, pcm: bytes) -> None:
        try:
            await self._connection.send(pcm)
        except ConnectionClosed:
            if not self._closing:
                raise VoiceUnavailable("The voice runner stopped listening.") from None

    async def reset(self) -> None:
        try:
            await self._connection.send(json.dumps({"type": "reset"}))
        except ConnectionClosed:
            if not self._closing:
                raise VoiceUnavailable("The voice runner stopped listening.") from None

    async def events(self) -> AsyncIterator[Heard]:
        try:
            while True:
                frame = json.loads(await self._connection.recv())
                kind = frame.get("type")
                if kind == "speech.started":
                    yield SpeechStarted(float(frame["at_s"]))
                elif kind == "speech.paused":
                    yield SpeechPaused(bytes(await self._connection.recv(decode=False)))
                elif kind == "speech.resumed":
                    yield SpeechResumed()
                elif kind == "speech.stopped":
                    pcm = await self._connection.recv(decode=False)
                    yield SpeechStopped(
                        float(frame["start_s"]),
                        float(frame["end_s"]),
                        bytes(pcm),
                        bool(frame["cut"]),
                    )
                else:
                    raise VoiceUnavailable(str(frame.get("detail") or "The runner cannot listen."))
        except ConnectionClosed:
            if not self._closing:
                raise VoiceUnavailable("The voice runner stopped listening.") from None

    async def close(self) -> None:
        self._closing = True
        await self._connection.close()
