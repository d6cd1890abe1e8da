"""Request and response bodies of the voice endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from cognitia.voice.ports import AudioFormat

ResponseFormat = Literal["wav", "mp3", "opus", "ogg", "pcm", "json"]


class SpeechCreate(BaseModel):
    """POST /api/v2/voice/speech."""

    text: str = Field(min_length=1, description="What to say.")
    character_id: str | None = Field(
        None, description="Speak as this character: its voice_model and voice_settings.speed."
    )
    voice: str | None = Field(
        None, description="A voice from GET /api/v2/voices; wins over the character's."
    )
    speed: float | None = Field(
        None, ge=0.25, le=4.0, description="1.0 is normal; wins over the character's."
    )
    response_format: ResponseFormat = Field(
        "wav", description='An audio format, or json for {"audio_base64", "format"}.'
    )
    audio_format: AudioFormat = Field(
        "wav", description="With response_format=json: the audio inside."
    )

    @field_validator("text")
    @classmethod
    def _something_to_say(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text has nothing to say")
        return value


class SpeechJson(BaseModel):
    """The audio as base64 in JSON (the CloneMemoria shape), with what spoke it."""

    audio_base64: str
    format: AudioFormat
    voice: str
    sample_rate: int | None
    duration_s: float | None


class VoiceRead(BaseModel):
    name: str
    engine: str
    language: str
    description: str
    default: bool


class VoiceList(BaseModel):
    voices: list[VoiceRead]
    default: str | None
