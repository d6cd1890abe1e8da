"""The VoiceConverter port (RVC voice clones) and the synthesizer that applies it.

A cloned voice is a catalogue voice with `convert`: its engine speaks first (piper,
espeak-ng or a speech server, in WAV), then a converter turns that speech into the
cloned voice. The adapter is voice/adapters/rvc.py (an rvc-python API server).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from cognitia.config import ConversionEntry
from cognitia.voice.errors import UnsupportedFormat, VoiceUnavailable
from cognitia.voice.ports import MEDIA_TYPES, Audio, AudioFormat, SpeechSynthesizer, VoiceInfo
from cognitia.voice.wavfile import parse

# RVC answers WAV; raw PCM is that WAV's data. Other formats would need an encoder in
# the API process (PyAV runs in the voice runner only).
CONVERTED_FORMATS: tuple[AudioFormat, ...] = ("wav", "pcm")


class VoiceConverter(Protocol):
    """Turns speech (a complete WAV file) into another voice with a named model.

    Raises VoiceUnavailable when the conversion server cannot be reached, has no such
    model, or fails; the answer is a WAV file (`Audio` with its rate and duration).
    """

    async def convert(self, wav: bytes, *, conversion: ConversionEntry) -> Audio: ...


@dataclass
class ConvertedVoice:
    """A SpeechSynthesizer for one cloned voice: `inner` speaks, `converter` converts."""

    name: str
    inner: SpeechSynthesizer
    converter: VoiceConverter
    conversion: ConversionEntry

    def voices(self) -> list[VoiceInfo]:
        """The cloned voice, when its engine can speak (the conversion server is asked only
        when speaking)."""
        return [
            replace(info, sample_rate=None)
            for info in self.inner.voices()
            if info.name == self.name
        ]

    async def synthesize(
        self, text: str, *, voice: str, speed: float = 1.0, audio_format: AudioFormat = "wav"
    ) -> Audio:
        if audio_format not in CONVERTED_FORMATS:
            raise UnsupportedFormat(f"A cloned voice speaks wav or pcm, not {audio_format}.")
        spoken = await self.inner.synthesize(text, voice=voice, speed=speed, audio_format="wav")
        converted = await self.converter.convert(spoken.data, conversion=self.conversion)
        if audio_format == "wav":
            return converted
        info = parse(converted.data)
        if info is None or info.channels != 1 or info.sample_width != 2:
            raise VoiceUnavailable("The voice conversion server answered audio that is not PCM.")
        return Audio(info.samples, MEDIA_TYPES["pcm"], info.sample_rate, info.duration_s)

    async def close(self) -> None:
        for part in (self.inner, self.converter):
            close = getattr(part, "close", None)
            if close is not None:
                await close()
