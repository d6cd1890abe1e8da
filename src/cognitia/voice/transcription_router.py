"""POST /api/v2/voice/transcriptions: an uploaded WAV, WebM, Ogg or MP3 file to text.

The size limit is enforced while the body arrives (before FastAPI spools the form to
disk): a declared Content-Length over it is refused at once, and a body that keeps
coming past it is cut off. The duration limit is the engine's, after decoding (the
voice runner's, or the hosted server's own).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive

from cognitia.auth.dependencies import Caller
from cognitia.billing.deps import QuotasDep
from cognitia.http.deps import DbDep, MeterDep, SettingsDep, VoicesDep, get_settings
from cognitia.voice.errors import AudioTooLarge, VoiceUnavailable
from cognitia.voice.metering import heard_seconds
from cognitia.voice.transcription_schemas import TranscriptionRead

# What a multipart body may carry beyond the file itself: boundaries, headers, fields.
FORM_OVERHEAD_BYTES = 64 * 1024


class SizeLimitedRoute(APIRoute):
    """Refuses bodies larger than the transcription limit before the form is parsed."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            max_bytes = get_settings(request).voice.transcription.max_bytes
            limit = max_bytes + FORM_OVERHEAD_BYTES
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _too_large(max_bytes)
            capped = Request(request.scope, _capped(request.receive, limit, max_bytes))
            try:
                return await handler(capped)
            except HTTPException as exc:  # FastAPI wraps errors raised while parsing the form
                if isinstance(exc.__cause__, AudioTooLarge):
                    raise exc.__cause__ from None
                raise

        return limited


router = APIRouter(prefix="/api/v2/voice", tags=["voice"], route_class=SizeLimitedRoute)

AudioFile = Annotated[
    UploadFile, File(description="WAV, WebM, Ogg or MP3; the format is read from the content.")
]
Language = Annotated[
    str | None,
    Form(
        min_length=2,
        max_length=3,
        pattern="^[a-zA-Z]+$",
        description="ISO 639-1 code of the spoken language; detected when left out.",
    ),
]


def _errors(*codes: int) -> dict[int | str, dict[str, object]]:
    return {code: {"description": "Error body: {error, detail}"} for code in (401, *codes)}


@router.post("/transcriptions", responses=_errors(413, 422, 429, 503))
async def create_transcription(  # noqa: PLR0913 - the form and its dependencies
    file: AudioFile,
    caller: Caller,  # no transaction held while the audio is heard (seconds)
    db: DbDep,
    voices: VoicesDep,
    settings: SettingsDep,
    meter: MeterDep,
    quotas: QuotasDep,
    language: Language = None,
) -> TranscriptionRead:
    """Transcribe a recording: its text, language, duration and timed segments."""
    transcriber = voices.transcriber
    if not settings.voice.enabled or transcriber is None:
        raise VoiceUnavailable("Transcription is not available on this server.")
    await quotas.check_audio(db, user_id=caller.user.id)
    max_bytes = settings.voice.transcription.max_bytes
    data = await file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    lang = language.lower() if language else None
    transcript = await transcriber.transcribe(data, filename=file.filename or "", language=lang)
    await meter.record(caller.user.id, transcribed_s=heard_seconds(transcript))
    return TranscriptionRead.of(transcript)


def _too_large(max_bytes: int) -> AudioTooLarge:
    return AudioTooLarge(f"The audio may be at most {max_bytes} bytes.")


def _capped(receive: Receive, limit: int, max_bytes: int) -> Receive:
    """`receive` that raises AudioTooLarge once more than `limit` body bytes came in."""
    seen = 0

    async def capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _too_large(max_bytes)
        return message

    return capped
