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
import socket
import threading
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cognitia.voice.wavfile import wav
from tests.support.waiting import eventually_sync

SAMPLE_RATE = 24000
SECONDS_PER_CHAR = 0.05


class FakeSpeech:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.answers: list[bytes] = []  # the audio of each answer, in order
        self.status = 200
        # While cleared, a request is held without an answer (a server that hangs).
        self.released = threading.Event()
        self.released.set()
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
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

    def start(self) -> FakeSpeech:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="off")
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=asyncio.run, args=(server.serve(sockets=[sock]),), daemon=True
        )
        self._thread.start()
        thread = self._thread
        eventually_sync(lambda: server.started or not thread.is_alive(), timeout=10, interval=0.01)
        if not server.started:
            raise RuntimeError("the fake speech server did not start")
        return self

    def stop(self) -> None:
        self.released.set()
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeSpeech:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
