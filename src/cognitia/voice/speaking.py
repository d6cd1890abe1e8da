"""Speaking a chat reply as it is written: the voice of each character, sentence by
sentence. The composition root (runtime.py) hands a `ReplySpeech` to the chats' reply
writer as its speech port (chats/ports.py: Speech); chats never reach for the registry.

The voice is chosen as POST /api/v2/voice/speech chooses it for a character
(voice.service.choose_voice): the character's `voice_model` when it can speak here,
else the catalogue's default; its speed from `voice_settings`. A cloned voice is not
used here yet (its grants are not checked for chat members): the default speaks.
"""

from __future__ import annotations

from dataclasses import dataclass

from cognitia.voice.errors import VoiceUnavailable
from cognitia.voice.ports import Audio, AudioFormat, SpeechSynthesizer
from cognitia.voice.registry import VoiceRegistry
from cognitia.voice.service import Voiced, character_speed, choose_voice


@dataclass(frozen=True)
class CharacterVoice:
    """One character's voice, in one format, for one reply."""

    name: str  # the catalogue name, as GET /api/v2/voices lists it
    synthesizer: SpeechSynthesizer
    engine_voice: str
    speed: float
    audio_format: AudioFormat

    async def speak(self, text: str) -> Audio:
        """One sentence as a complete audio file; raises voice errors (CognitiaError)."""
        return await self.synthesizer.synthesize(
            text, voice=self.engine_voice, speed=self.speed, audio_format=self.audio_format
        )


class ReplySpeech:
    """The voices of chat replies, from the process's voice registry."""

    def __init__(self, voices: VoiceRegistry) -> None:
        self._voices = voices

    def check(self) -> None:
        """VoiceUnavailable (503) when no voice can speak now (none installed or reachable)."""
        if not self._voices.listed():
            raise VoiceUnavailable("No voice is installed: see docs/voice.md.")

    def voice_for(self, character: Voiced, audio_format: AudioFormat) -> CharacterVoice:
        """The character's voice (else the default); VoiceUnavailable when none can speak."""
        voice = choose_voice(self._voices, requested=None, character=character)
        if voice.entry.convert is not None:
            # A cloned voice needs its owner's grant (voice.service.require_grant), which
            # is not checked for the people of a chat yet: replies speak with the default.
            voice = self._voices.default()
        return CharacterVoice(
            name=voice.name,
            synthesizer=voice.synthesizer,
            engine_voice=voice.entry.voice,
            speed=character_speed(character),
            audio_format=audio_format,
        )
