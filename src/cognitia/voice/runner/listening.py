"""The voice runner's WebSocket /v1/listen: a live call's microphone in, its turns out.

The API forwards the caller's audio (binary frames of 16 kHz mono s16le PCM) and gets back:

- `{"type": "speech.started", "at_s": float}` when Silero VAD hears speech begin;
- `{"type": "speech.paused", "bytes"}` and the utterance so far as one binary frame, once
  the speech has been quiet for `pause_ms` (shorter than the silence that ends a turn): the
  API may start transcribing it while the turn's end is still being waited for, and
  `{"type": "speech.resumed"}` if the person goes on after all (that guess is dropped);
- `{"type": "speech.stopped", "start_s", "end_s", "bytes", "cut"}` once it stayed below the
  threshold for the silence given (or the utterance reached its longest), immediately
  followed by one binary frame: the utterance's PCM, with a little audio before and after
  it so Whisper hears the first and last sounds whole.

A text frame `{"type": "reset"}` drops what is being heard (the caller muted). The query
string gives `silence_ms`, `pause_ms` (0: no early guesses) and `max_utterance_s`. Each
connection has its own VAD state (Silero is recurrent); its inference runs in a worker
thread, off the runner's loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

import numpy as np
from starlette.websockets import WebSocket, WebSocketDisconnect

from cognitia.voice.vad import SAMPLE_RATE, SileroVad, SpeechDetector, VadUnavailable

log = logging.getLogger(__name__)

LISTEN = "/v1/listen"
PAD_SECONDS = 0.25  # audio kept before the speech starts and after it ends
DEFAULT_SILENCE_MS = 500
DEFAULT_MAX_UTTERANCE_S = 30.0


@dataclass(frozen=True)
class Heard:
    kind: str  # "started", "paused", "resumed" or "stopped"
    at_s: float
    end_s: float = 0.0
    pcm: bytes = b""
    cut: bool = False  # stopped because the utterance reached its longest


class Endpointer:
    """Turns of one call: speech start and end, and the utterance's PCM at its end."""

    def __init__(
        self, vad: SileroVad, *, silence_ms: int, pause_ms: int = 0, max_utterance_s: float
    ) -> None:
        self._vad = vad
        self._silence_s = silence_ms / 1000
        self._pause_s = pause_ms / 1000 if 0 < pause_ms < silence_ms else None
        self._max_samples = round(max_utterance_s * SAMPLE_RATE)
        self._pad = round(PAD_SECONDS * SAMPLE_RATE)
        self.reset()

    def reset(self) -> None:
        """Forget what was being heard (a mute): the next speech starts a new utterance."""
        self._vad.reset()
        self._detector = SpeechDetector(self._vad, min_silence_s=self._silence_s)
        self._audio = np.zeros(0, dtype=np.int16)
        self._offset = 0  # the stream's sample index of _audio[0]
        self._fed = 0  # samples fed to the detector since the reset
        self._start: int | None = None  # sample where the current speech started
        self._paused = False  # a guess at the utterance was sent, and still stands

    def feed(self, pcm: bytes) -> list[Heard]:
        samples = np.frombuffer(pcm, dtype="<i2")
        self._audio = np.concatenate([self._audio, samples])
        heard: list[Heard] = []
        for event in self._detector.feed(samples.astype(np.float32) / 32768.0):
            at = round(event.at_s * SAMPLE_RATE)
            if event.kind == "start":
                self._start = at
                heard.append(Heard("started", event.at_s))
            elif self._start is not None:
                heard.append(self._utterance(self._start, at, cut=False))
        self._fed += len(samples)
        if self._start is not None and self._fed - self._start >= self._max_samples:
            heard.append(self._utterance(self._start, self._fed, cut=True))
            self._detector.speaking = False  # what follows is heard as a new utterance
        heard += self._guess()
        self._trim()
        return heard

    def _guess(self) -> list[Heard]:
        """`paused` with the utterance so far, once quiet long enough; `resumed` if not."""
        if self._pause_s is None or self._start is None:
            return []
        quiet = self._detector.quiet_s
        if not self._paused and quiet >= self._pause_s:
            self._paused = True
            end = self._fed - round(quiet * SAMPLE_RATE)
            first = max(self._start - self._pad, self._offset) - self._offset
            last = min(end + self._pad, self._offset + len(self._audio)) - self._offset
            pcm = self._audio[first:last].astype("<i2").tobytes()
            return [Heard("paused", self._start / SAMPLE_RATE, end / SAMPLE_RATE, pcm)]
        if self._paused and quiet == 0.0:
            self._paused = False
            return [Heard("resumed", self._fed / SAMPLE_RATE)]
        return []

    def _utterance(self, start: int, end: int, *, cut: bool) -> Heard:
        first = max(start - self._pad, self._offset) - self._offset
        last = min(end + self._pad, self._offset + len(self._audio)) - self._offset
        pcm = self._audio[first:last].astype("<i2").tobytes()
        self._start, self._paused = None, False
        return Heard("stopped", start / SAMPLE_RATE, end / SAMPLE_RATE, pcm, cut)

    def _trim(self) -> None:
        """Keep only what a coming utterance may need: all of the current one, else the pad."""
        keep_from = self._fed - self._pad if self._start is None else self._start - self._pad
        drop = max(0, keep_from - self._offset)
        if drop:
            self._audio = self._audio[drop:]
            self._offset += drop


async def listen(websocket: WebSocket) -> None:
    """One call's microphone, until the API closes the socket."""
    await websocket.accept()
    try:
        endpointer = Endpointer(
            await asyncio.to_thread(SileroVad),
            silence_ms=max(100, _int(websocket.query_params.get("silence_ms"), DEFAULT_SILENCE_MS)),
            pause_ms=_int(websocket.query_params.get("pause_ms"), 0),
            max_utterance_s=_float(
                websocket.query_params.get("max_utterance_s"), DEFAULT_MAX_UTTERANCE_S
            ),
        )
    except VadUnavailable as exc:
        await websocket.send_json(
            {"type": "error", "code": "voice_unavailable", "detail": str(exc)}
        )
        await websocket.close(1011)
        return
    try:
        await _serve(websocket, endpointer)
    except WebSocketDisconnect:
        return


async def _serve(websocket: WebSocket, endpointer: Endpointer) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("bytes"):
            pcm = message["bytes"]
            if len(pcm) % 2:
                await websocket.close(1003, "odd PCM length")
                return
            for heard in await asyncio.to_thread(endpointer.feed, pcm):
                await _send(websocket, heard)
        elif message.get("text") and json.loads(message["text"]).get("type") == "reset":
            endpointer.reset()


async def _send(websocket: WebSocket, heard: Heard) -> None:
    if heard.kind == "started":
        await websocket.send_json({"type": "speech.started", "at_s": heard.at_s})
        return
    if heard.kind == "resumed":
        await websocket.send_json({"type": "speech.resumed"})
        return
    if heard.kind == "paused":
        await websocket.send_json({"type": "speech.paused", "bytes": len(heard.pcm)})
        await websocket.send_bytes(heard.pcm)
        return
    frame = {
        "type": "speech.stopped",
        "start_s": heard.at_s,
        "end_s": heard.end_s,
        "bytes": len(heard.pcm),
        "cut": heard.cut,
    }
    await websocket.send_json(frame)
    await websocket.send_bytes(heard.pcm)


def _int(value: str | None, default: int) -> int:
    try:
        return max(0, min(5000, int(value))) if value else default
    except ValueError:
        return default


def _float(value: str | None, default: float) -> float:
    try:
        return max(1.0, min(600.0, float(value))) if value else default
    except ValueError:
        return default
