"""A stand-in OpenAI-compatible transcription server on 127.0.0.1: POST
/v1/audio/transcriptions as OpenAI's (a multipart upload in, JSON out, errors as
{"error": {"message", "type", "code"}}).

It does not listen to the audio: it answers `reply` (a verbose_json body by default) and
records what it was sent, so a client's request and parsing are tested on the real wire.

    with FakeTranscription() as server:          # base_url=server.url (ends in /v1)
        server.status, server.error_code = 413, None
        assert server.requests[-1].fields["model"] == "whisper-1"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.served import ServedApp

VERBOSE = {
    "task": "transcribe",
    "language": "en",
    "duration": 2.5,
    "text": " Hello from the stand-in. ",
    "segments": [
        {"id": 0, "seek": 0, "start": 0.0, "end": 1.2, "text": " Hello from"},
        {"id": 1, "seek": 0, "start": 1.2, "end": 2.4, "text": " the stand-in."},
    ],
}


@dataclass
class Received:
    fields: dict[str, str]
    filename: str | None
    content_type: str | None
    audio: bytes
    headers: dict[str, str]


class FakeTranscription(ServedApp):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Received] = []
        self.reply: dict[str, Any] = dict(VERBOSE)
        self.status = 200
        self.error_code: str | None = None
        route = Route("/v1/audio/transcriptions", self._transcriptions, methods=["POST"])
        self.app = Starlette(routes=[route])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reset(self) -> None:
        self.requests.clear()
        self.reply, self.status, self.error_code = dict(VERBOSE), 200, None

    async def _transcriptions(self, request: Request) -> Response:
        async with request.form() as form:
            upload = form["file"]
            assert isinstance(upload, UploadFile)
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            self.requests.append(
                Received(
                    fields,
                    upload.filename,
                    upload.content_type,
                    await upload.read(),
                    dict(request.headers),
                )
            )
        if self.status != 200:
            error = {
                "message": f"refused with {self.status}",
                "type": "test",
                "code": self.error_code,
            }
            return JSONResponse({"error": error}, status_code=self.status)
        return JSONResponse(self.reply)
