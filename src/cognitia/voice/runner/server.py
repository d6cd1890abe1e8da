"""The voice runner's HTTP API (inside the runner process): OpenAI's POST /v1/audio/speech
with piper, POST /v1/audio/transcriptions with Whisper (runner/transcriptions.py), and
WebSocket /v1/listen for live calls (runner/listening.py: voice activity and turn ends), and
/health for the supervisor.

Synthesis runs in a worker thread so /health keeps answering while a long text is spoken.
Errors use OpenAI's shape, {"error": {"message", "type"}}: 400 for a bad body, 404 for a
voice this runner has not loaded, 422 for a format it cannot write.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from cognitia.config import VoiceSettings
from cognitia.voice.catalogue import local_piper_voices
from cognitia.voice.runner import encode, protocol
from cognitia.voice.runner.listening import LISTEN, listen
from cognitia.voice.runner.piper import PiperVoices
from cognitia.voice.runner.transcriptions import TRANSCRIPTIONS, Limits, Transcriptions

log = logging.getLogger(__name__)


def create_voice_runner_app(settings: VoiceSettings) -> Starlette:
    piper = PiperVoices(local_piper_voices(settings), threads=settings.piper_threads)
    stt = settings.transcription
    transcriptions = Transcriptions(
        stt.model_path, threads=stt.threads, limits=Limits(stt.max_bytes, stt.max_seconds)
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await asyncio.to_thread(piper.load)  # before the socket opens: ready means loaded
        if stt.engine == "local":
            await asyncio.to_thread(transcriptions.load)
        yield

    speaking = Speaking()

    async def health(_: Request) -> Response:
        body = {"status": "ok", "voices": piper.names(), "formats": encode.formats()}
        return JSONResponse({**body, **speaking.health(), **transcriptions.health()})

    async def speech(request: Request) -> Response:
        with speaking.one():
            return await _speech(piper, request)

    routes = [
        Route(protocol.HEALTH, health, methods=["GET"]),
        Route(protocol.SPEECH, speech, methods=["POST"]),
        Route(TRANSCRIPTIONS, transcriptions.endpoint, methods=["POST"]),
        WebSocketRoute(LISTEN, listen),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


class Speaking:
    """The requests being synthesised now. /health reports how many, and for how long the
    oldest has run as `stalled_seconds`: the supervisor kills a runner past the stall
    limit (COGNITIA_VOICE__RUNNER__STALL_SECONDS), which is how a synthesis hung in
    native code is ended, since a thread cannot be."""

    def __init__(self) -> None:
        self._started: dict[int, float] = {}
        self._serial = itertools.count()

    @contextlib.contextmanager
    def one(self) -> Iterator[None]:
        key = next(self._serial)
        self._started[key] = time.monotonic()
        try:
            yield
        finally:
            del self._started[key]

    def health(self) -> dict[str, float]:
        oldest = min(self._started.values(), default=None)
        stalled = 0.0 if oldest is None else time.monotonic() - oldest
        return {"speaking": len(self._started), "stalled_seconds": round(stalled, 3)}


async def _speech(piper: PiperVoices, request: Request) -> Response:
    try:
        body = protocol.SpeechBody.model_validate(await request.json())
    except (ValueError, ValidationError) as exc:
        return _error(400, "invalid_request_error", f"invalid request body: {exc}")
    if body.voice not in piper.names():
        return _error(404, "voice_not_found", f"voice {body.voice!r} is not loaded")
    if body.response_format not in encode.formats():
        return _error(422, "unsupported_format", f"{body.response_format} needs PyAV (av)")
    try:
        pcm = await asyncio.to_thread(
            piper.synthesize, body.input, voice=body.voice, speed=body.speed
        )
        data = await asyncio.to_thread(
            encode.encode, pcm.samples, sample_rate=pcm.sample_rate, fmt=body.response_format
        )
    except Exception as exc:  # a piper or FFmpeg failure costs this request, not the runner
        log.exception("speech failed", extra={"voice": body.voice})
        return _error(500, "server_error", f"speech failed: {type(exc).__name__}")
    headers = {
        protocol.SAMPLE_RATE_HEADER: str(pcm.sample_rate),
        protocol.DURATION_HEADER: f"{pcm.duration_s:.3f}",
    }
    return Response(data, media_type=encode.media_type(body.response_format), headers=headers)


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)
