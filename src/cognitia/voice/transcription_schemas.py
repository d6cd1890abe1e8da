"""Response bodies of POST /api/v2/voice/transcriptions."""

from __future__ import annotations

from pydantic import BaseModel, Field

from cognitia.voice.ports import Transcript


class SegmentRead(BaseModel):
    start: float = Field(description="Seconds from the start of the audio.")
    end: float = Field(description="Seconds from the start of the audio.")
    text: str


class TranscriptionRead(BaseModel):
    text: str = Field(description="Everything that was said.")
    language: str = Field(description="ISO 639-1 code of the language (as the engine reports it).")
    duration_s: float = Field(description="Length of the audio in seconds (0 when unknown).")
    segments: list[SegmentRead] = Field(description="Timed pieces of the text, in order.")

    @classmethod
    def of(cls, transcript: Transcript) -> TranscriptionRead:
        return cls(
            text=transcript.text,
            language=transcript.language,
            duration_s=round(transcript.duration_s, 3),
            segments=[
                SegmentRead(start=s.start, end=s.end, text=s.text) for s in transcript.segments
            ],
        )
