"""The voice runner's HTTP API (inside the runner process): OpenAI's POST /v1/audio/speech
with piper, POST /v1/audio/transcriptions with Whisper (runner/transcriptions.py), and
/health for the supervisor.

Synthesis runs in a worker thread so /health keeps answering while a long text is spoken.
Errors use OpenAI's shape, {"error": {"message", "type"}}: 400 for a bad body, 404 for a
voice this runner has not loaded, 422 for a format it cannot write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cognitia.config import VoiceSettings
from cognitia.voice.catalogue import local_piper_voices
from cognitia.voice.runner import encode, protocol
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

    speaking = [0]  # requests being synthesised now, for /health (and the crash tests)

    async def health(_: Request) -> Response:
        body = {"status": "ok", "voices": piper.names(), "formats": encode.formats()}
        return JSONResponse({**body, "speaking": speaking[0], **transcriptions.health()})

    async def speech(request: Request) -> Response:
        speaking[0] += 1
        try:
            return await _speech(piper, request)
        finally:
            speaking[0] -= 1

    routes = [
        Route(protocol.HEALTH, health, methods=["GET"]),
        Route(protocol.SPEECH, speech, methods=["POST"]),
        Route(TRANSCRIPTIONS, transcriptions.endpoint, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _speech(piper: PiperVoices, request: Request) -> Response:
    try:
        body = protocol.SpeechBody.model_validate(await request.json())
    except (ValueError, ValidationError) as exc:
        return _error(400, "invalid_request_error", f"invalid request body: {exc}")
    if body.voice not in piper.names():
        return _error(404, "voice_not_found", f"voice {body.voice!r} is not loaded")
    if body.response_format not in encode.formats():
        return _error(422, "unsupported_format", f"{body.response_format} needs PyAV (av)")
    pcm = await asyncio.to_thread(piper.synthesize, body.input, voice=body.voice, speed=body.speed)
    data = await asyncio.to_thread(
        encode.encode, pcm.samples, sample_rate=pcm.sample_rate, fmt=body.response_format
    )
    headers = {
        protocol.SAMPLE_RATE_HEADER: str(pcm.sample_rate),
        protocol.DURATION_HEADER: f"{pcm.duration_s:.3f}",
    }
    return Response(data, media_type=encode.media_type(body.response_format), headers=headers)


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)
