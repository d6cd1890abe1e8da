"""The SpeechSynthesizer and Transcriber ports, and the values that cross them.

An adapter (voice/adapters/) turns one engine's protocol into these types and its
failures into voice.errors subclasses: the local voice runner (GPL piper and native
whisper in their own process), espeak-ng as a subprocess, and OpenAI-compatible
/audio/speech and /audio/transcriptions servers. The TurnDetector (a live call's voice
activity and turn ends) is the voice runner's /v1/listen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

AudioFormat = Literal["wav", "mp3", "opus", "ogg", "pcm"]
Engine = Literal["piper", "espeak", "openai"]

MEDIA_TYPES: dict[str, str] = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",  # Opus in an Ogg container, as OpenAI returns it
    "ogg": "audio/ogg",
    "pcm": "audio/L16",  # raw signed 16-bit little-endian mono
}


@dataclass(frozen=True)
class Audio:
    """A complete, self-contained audio file (or raw PCM when media_type is audio/L16).

    `sample_rate` and `duration_s` are None where the engine did not say (a hosted server's
    MP3, say); WAV and PCM always carry them.
    """

    data: bytes
    media_type: str
    sample_rate: int | None
    duration_s: float | None


@dataclass(frozen=True)
class VoiceInfo:
    """A voice from the catalogue that can speak now (its engine is installed and reachable)."""

    name: str
    engine: Engine
    language: str
    description: str = ""
    sample_rate: int | None = None


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    duration_s: float
    segments: tuple[Segment, ...] = field(default_factory=tuple)


class SpeechSynthesizer(Protocol):
    """Turns text into audio with one of its voices.

    `voice` is the engine's own voice id (the catalogue maps a public voice name to it);
    `speed` is a rate multiplier (1.0 normal, 2.0 twice as fast). Raises VoiceUnavailable
    when the engine cannot be reached and UnsupportedFormat for a format it cannot make.
    """

    async def synthesize(
        self, text: str, *, voice: str, speed: float = 1.0, audio_format: AudioFormat = "wav"
    ) -> Audio: ...

    def voices(self) -> list[VoiceInfo]: ...


class Transcriber(Protocol):
    """Turns a complete audio file (WAV, WebM, Ogg, MP3) into text with timings.

    `language` is an ISO 639-1 hint (None: detect). Raises UnsupportedAudio for a file it
    cannot decode and VoiceUnavailable when the engine cannot be reached.
    """

    async def transcribe(
        self, audio: bytes, *, filename: str, language: str | None = None
    ) -> Transcript: ...


@dataclass(frozen=True)
class SpeechStarted:
    """The caller began to speak, `at_s` seconds into the call's audio."""

    at_s: float


@dataclass(frozen=True)
class SpeechStopped:
    """The caller's turn ended: the utterance as 16 kHz mono s16le PCM. `cut` when it
    reached the longest utterance allowed rather than a silence."""

    start_s: float
    end_s: float
    pcm: bytes
    cut: bool = False


@dataclass(frozen=True)
class SpeechPaused:
    """The caller has been quiet for a moment: the utterance so far, a guess at the whole
    turn to start transcribing early. Either a SpeechStopped follows (the guess stands:
    no speech came between) or a SpeechResumed (it is dropped)."""

    pcm: bytes


@dataclass(frozen=True)
class SpeechResumed:
    """The caller went on after a SpeechPaused: that guess is wrong."""


Heard = SpeechStarted | SpeechPaused | SpeechResumed | SpeechStopped


class Hearing(Protocol):
    """One call's microphone: feed its PCM, read what was heard, in order.

    `events` ends when `close` is called; it raises VoiceUnavailable when the engine went
    away (a runner that crashed), after which this Hearing is done.
    """

    async def send(self, pcm: bytes) -> None: ...

    async def reset(self) -> None:
        """Drop the utterance being heard (the caller muted)."""
        ...

    def events(self) -> AsyncIterator[Heard]: ...

    async def close(self) -> None: ...


class TurnDetector(Protocol):
    """Voice activity and end of turn for live calls (VAD plus a silence threshold).

    `pause_ms` (below `silence_ms`; 0: never) is the quiet that gives a SpeechPaused.
    `open` raises VoiceUnavailable when the engine cannot be reached."""

    async def open(self, *, silence_ms: int, pause_ms: int, max_utterance_s: float) -> Hearing: ...
