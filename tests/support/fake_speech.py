"""A stand-in OpenAI-compatible speech server on 127.0.0.1: POST /v1/audio/speech as
OpenAI's (JSON body in, audio bytes out, errors as {"error": {"message"}}).

It answers with a real WAV of silence whose length follows the text and the speed, so a
client's parsing is tested on real bytes. Every request is recorded; `status` makes the
next answers fail; clearing `released` holds them unanswered.

    with FakeSpeech() as speech:            # base_url=speech.url (ends in /v1)
        speech.status = 400
        assert speech.requests[-1]["voice"] == "nova"
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cognitia.voice.wavfile import wav
from tests.support.served import ServedApp

SAMPLE_RATE = 24000
SECONDS_PER_CHAR = 0.05


class FakeSpeech(ServedApp):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.answers: list[bytes] = []  # the audio of each answer, in order
        self.status = 200
        # While cleared, a request is held without an answer (a server that hangs).
        self.released = threading.Event()
        self.released.set()
        self.app = Starlette(routes=[Route("/v1/audio/speech", self._speech, methods=["POST"])])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _speech(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        await asyncio.to_thread(self.released.wait, 30)
        if self.status != 200:
            error = {"error": {"message": f"refused with {self.status}", "type": "test"}}
            self.answers.append(b"")
            return JSONResponse(error, status_code=self.status)
        seconds = len(body["input"]) * SECONDS_PER_CHAR / float(body.get("speed", 1.0))
        samples = bytes(2 * round(seconds * SAMPLE_RATE))
        if body.get("response_format") == "pcm":
            self.answers.append(samples)
            return Response(samples, media_type="audio/pcm")
        self.answers.append(wav(samples, sample_rate=SAMPLE_RATE))
        return Response(self.answers[-1], media_type="audio/wav")

    def stop(self) -> None:
        self.released.set()  # nothing stays held past the test
        super().stop()
