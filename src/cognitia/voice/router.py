"""/api/v2/voices and /api/v2/voice/speech: the voices that can speak, and speech;
/api/v2/voice/usage (mine) and /api/v2/admin/voice/usage (everyone's): audio seconds."""

from __future__ import annotations

import base64
from typing import Annotated, cast

from fastapi import APIRouter, Query, Response

from cognitia.auth.dependencies import AdminUser, Caller, CurrentUser
from cognitia.billing.deps import QuotasDep
from cognitia.http.deps import DbDep, MeterDep, SettingsDep, VoicesDep
from cognitia.voice import service
from cognitia.voice.errors import VoiceUnavailable
from cognitia.voice.metering import AudioUsageReport, spoken_seconds
from cognitia.voice.ports import MEDIA_TYPES, AudioFormat
from cognitia.voice.schemas import SpeechCreate, SpeechJson, VoiceList, VoiceRead

router = APIRouter(prefix="/api/v2", tags=["voice"])
VOICE_HEADER = "X-Voice"
AUDIO_MEDIA_TYPES = sorted(set(MEDIA_TYPES.values()))
AUDIO_SCHEMA = {"type": "string", "format": "binary"}
Days = Annotated[int, Query(ge=1, le=366, description="How many UTC days back, today included.")]


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
        **_errors(403, 404, 413, 422, 429, 503),
        200: {
            "model": SpeechJson,
            "description": "The audio (X-Voice names the voice), or JSON (response_format=json).",
            "content": {media: {"schema": AUDIO_SCHEMA} for media in AUDIO_MEDIA_TYPES},
        },
    },
    response_model=None,
)
async def create_speech(  # noqa: PLR0913 - the body and its dependencies
    data: SpeechCreate,
    caller: Caller,  # no transaction held while the audio is made (seconds)
    db: DbDep,
    voices: VoicesDep,
    settings: SettingsDep,
    meter: MeterDep,
    quotas: QuotasDep,
) -> Response | SpeechJson:
    """Speak text, as a character when one is given: audio bytes, or base64 in JSON."""
    if not settings.voice.enabled:
        raise VoiceUnavailable("Voice is turned off on this server.")
    await quotas.check_audio(db, user_id=caller.user.id)
    as_json = data.response_format == "json"
    fmt = data.audio_format if as_json else cast(AudioFormat, data.response_format)
    order = service.SpeechOrder(data.text, data.character_id, data.voice, data.speed, fmt)
    user = caller.user
    spoken = await service.speak(
        db, user=user, voices=voices, order=order, max_chars=settings.voice.max_text_chars
    )
    audio = spoken.audio
    await meter.record(user.id, synthesized_s=spoken_seconds(audio, data.text))
    if as_json:
        return SpeechJson(
            audio_base64=base64.b64encode(audio.data).decode("ascii"),
            format=fmt,
            voice=spoken.voice,
            sample_rate=audio.sample_rate,
            duration_s=audio.duration_s,
        )
    return Response(audio.data, media_type=audio.media_type, headers={VOICE_HEADER: spoken.voice})


@router.get("/voice/usage", responses=_errors())
async def my_audio_usage(user: CurrentUser, meter: MeterDep, days: Days = 30) -> AudioUsageReport:
    """Seconds of audio synthesised and transcribed for me, per UTC day."""
    return await meter.report(days=days, user_id=user.id)


@router.get("/admin/voice/usage", responses=_errors(403))
async def all_audio_usage(
    _: AdminUser,
    meter: MeterDep,
    days: Days = 30,
    user_id: Annotated[str | None, Query(max_length=36)] = None,
) -> AudioUsageReport:
    """Everyone's audio seconds per UTC day (or one user's)."""
    return await meter.report(days=days, user_id=user_id)
