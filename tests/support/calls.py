"""Live calls from the outside: a voice runner served on a port (one per test module or
benchmark), real speech as the call's PCM frames, and a client of the call protocol."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.support.net import free_port
from tests.support.processes import process_env, stop
from tests.support.spoken import pcm16k, silence, spoken_wav
from tests.support.waiting import eventually_sync

FRAME_BYTES = 3200  # 100 ms of 16 kHz s16le


@contextmanager
def voice_runner(**env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`cognitia voice-runner` on a free port (piper and Whisper, as installed): its URL."""
    port = free_port()
    command = [sys.executable, "-m", "cognitia", "voice-runner", "--port", str(port)]
    runner = subprocess.Popen(command, env=process_env(**env))
    url = f"http://127.0.0.1:{port}"
    try:
        eventually_sync(lambda: runner.poll() is not None or _up(url), timeout=120)
        assert runner.poll() is None, "the voice runner did not start"
        yield url, runner
    finally:
        stop(runner)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def spoken_pcm(folder: Path, text: str) -> bytes:
    """espeak-ng saying `text`, as the call's PCM (16 kHz mono s16le)."""
    return to_pcm(pcm16k(spoken_wav(folder, text)))


def to_pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def quiet(seconds: float) -> bytes:
    return to_pcm(silence(seconds))


def frames(pcm: bytes, size: int = FRAME_BYTES) -> list[bytes]:
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


class CallClient:
    """One call: send frames, read the server's (JSON as dicts, audio as bytes)."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.seen: list[dict[str, Any]] = []  # every JSON frame, in order
        self.audio: list[bytes] = []  # every binary frame, in order

    @classmethod
    async def open(cls, base_url: str, chat_id: str, **headers: str) -> CallClient:
        url = base_url.replace("http://", "ws://") + f"/api/v2/chats/{chat_id}/call"
        return cls(await connect(url, additional_headers=headers, max_size=None))

    async def start(self, **fields: Any) -> None:
        await self.send({"type": "start", **fields})

    async def send(self, frame: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(frame))

    async def speak(self, pcm: bytes) -> None:
        for frame in frames(pcm):
            await self.connection.send(frame)

    async def next(self) -> dict[str, Any]:
        """The next JSON frame; a caption's audio is read with it (into `audio`)."""
        message = await self.connection.recv()
        assert isinstance(message, str), "audio came without its caption"
        frame: dict[str, Any] = json.loads(message)
        self.seen.append(frame)
        if frame["type"] == "caption" and frame["bytes"]:
            audio = await self.connection.recv()
            assert isinstance(audio, bytes)
            self.audio.append(audio)
        return frame

    async def until(self, *kinds: str) -> dict[str, Any]:
        """Read frames up to the first of one of these types."""
        while (frame := await self.next())["type"] not in kinds:
            pass
        return frame

    async def closed(self) -> tuple[int | None, list[dict[str, Any]]]:
        """Read to the end: the close code and the frames that came before it."""
        frames: list[dict[str, Any]] = []
        try:
            while True:
                frames.append(await self.next())
        except ConnectionClosed as exc:
            return (exc.rcvd.code if exc.rcvd else None), frames

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.seen if f["type"] == kind]

    async def close(self) -> None:
        await self.connection.close()
