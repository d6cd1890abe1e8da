"""Speaking a chat reply as it is written: the voice of each character, sentence by
sentence. The composition root (runtime.py) hands a `ReplySpeech` to the chats' reply
writer as its speech port (chats/ports.py: Speech); chats never reach for the registry.

The voice is chosen as POST /api/v2/voice/speech chooses it for a character
(voice.service.choose_voice): the character's `voice_model` when it can speak here,
else the catalogue's default; its speed from `voice_settings`. A cloned voice speaks
only when every person in the chat may use it (the owner, or granted: the chat works
that out when the reply opens, `granted_to_all`); else the default voice speaks, and the
audio events name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cognitia.voice.errors import VoiceUnavailable
from cognitia.voice.ports import Audio, AudioFormat, SpeechSynthesizer
from cognitia.voice.registry import VoiceRegistry
from cognitia.voice.service import Voiced, character_speed, choose_voice


class ChatVoiced(Voiced, Protocol):
    """A speaking character's voice fields, and whether all the chat may use its voice."""

    @property
    def granted_to_all(self) -> bool: ...


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

    def __init__(self, voices: VoiceRegistry, *, first_clause_words: int = 0) -> None:
        self._voices = voices
        # A reply's first chunk is spoken at its first clause of this many words (0: at
        # its first sentence end): chats/sentences.py.
        self.first_clause_words = first_clause_words

    def check(self) -> None:
        """VoiceUnavailable (503) when no voice can speak now (none installed or reachable)."""
        if not self._voices.listed():
            raise VoiceUnavailable("No voice is installed: see docs/voice.md.")

    def voice_for(self, character: ChatVoiced, audio_format: AudioFormat) -> CharacterVoice:
        """The character's voice (else the default); VoiceUnavailable when none can speak.
        A cloned voice only when everyone in the chat may use it, else the default."""
        voice = choose_voice(self._voices, requested=None, character=character)
        if voice.entry.convert is not None and not character.granted_to_all:
            voice = self._voices.default()
        return CharacterVoice(
            name=voice.name,
            synthesizer=voice.synthesizer,
            engine_voice=voice.entry.voice,
            speed=character_speed(character),
            audio_format=audio_format,
        )
