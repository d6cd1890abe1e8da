"""The voice runner's routes and request bodies: a subset of OpenAI's audio API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

HEALTH = "/health"
SPEECH = "/v1/audio/speech"
# Headers the runner adds to a speech response so the caller need not decode the audio.
SAMPLE_RATE_HEADER = "X-Sample-Rate"
DURATION_HEADER = "X-Audio-Duration"

SpeechFormat = Literal["wav", "mp3", "opus", "ogg", "pcm"]


class SpeechBody(BaseModel):
    """POST /v1/audio/speech, as OpenAI's: `voice` is the piper voice id."""

    model: str = "piper"
    input: str = Field(min_length=1, max_length=100_000)
    voice: str
    speed: float = Field(1.0, ge=0.25, le=4.0)
    response_format: SpeechFormat = "wav"
