"""/api/v2/voices and /api/v2/voice/speech: the voices that can speak, and speech."""

from __future__ import annotations

import base64
from typing import cast

from fastapi import APIRouter, Response

from cognitia.auth.dependencies import CurrentUser
from cognitia.http.deps import DbDep, SettingsDep, VoicesDep
from cognitia.voice import service
from cognitia.voice.errors import VoiceUnavailable
from cognitia.voice.ports import MEDIA_TYPES, AudioFormat
from cognitia.voice.schemas import SpeechCreate, SpeechJson, VoiceList, VoiceRead

router = APIRouter(prefix="/api/v2", tags=["voice"])
VOICE_HEADER = "X-Voice"
AUDIO_MEDIA_TYPES = sorted(set(MEDIA_TYPES.values()))
AUDIO_SCHEMA = {"type": "string", "format": "binary"}


def _errors(*codes: int) -> dict[int | str, dict[str, object]]:
    return {code: {"description": "Error body: {error, detail}"} for code in (401, *codes)}


@router.get("/voices", responses=_errors(503))
async def list_voices(_: CurrentUser, voices: VoicesDep, settings: SettingsDep) -> VoiceList:
    """The voices installed and able to speak now, the default first."""
    if not settings.voice.enabled:
        raise VoiceUnavailable("Voice is turned off on this server.")
    listed = voices.listed()
    default = listed[0].name if listed else None
    return VoiceList(
        voices=[
            VoiceRead(
                name=v.name,
                engine=v.engine,
                language=v.language,
                description=v.description,
                default=v.name == default,
            )
            for v in listed
        ],
        default=default,
    )


@router.post(
    "/voice/speech",
    responses={
        **_errors(403, 404, 413, 422, 503),
        200: {
            "model": SpeechJson,
            "description": "The audio (X-Voice names the voice), or JSON (response_format=json).",
            "content": {media: {"schema": AUDIO_SCHEMA} for media in AUDIO_MEDIA_TYPES},
        },
    },
    response_model=None,
)
async def create_speech(
    data: SpeechCreate,
    user: CurrentUser,
    db: DbDep,
    voices: VoicesDep,
    settings: SettingsDep,
) -> Response | SpeechJson:
    """Speak text, as a character when one is given: audio bytes, or base64 in JSON."""
    if not settings.voice.enabled:
        raise VoiceUnavailable("Voice is turned off on this server.")
    as_json = data.response_format == "json"
    fmt = data.audio_format if as_json else cast(AudioFormat, data.response_format)
    order = service.SpeechOrder(data.text, data.character_id, data.voice, data.speed, fmt)
    spoken = await service.speak(
        db, user=user, voices=voices, order=order, max_chars=settings.voice.max_text_chars
    )
    audio = spoken.audio
    if as_json:
        return SpeechJson(
            audio_base64=base64.b64encode(audio.data).decode("ascii"),
            format=fmt,
            voice=spoken.voice,
            sample_rate=audio.sample_rate,
            duration_s=audio.duration_s,
        )
    return Response(audio.data, media_type=audio.media_type, headers={VOICE_HEADER: spoken.voice})
