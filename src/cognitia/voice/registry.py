"""The voices this process can speak with: each catalogue name, its entry and the adapter
that speaks it. Built by the composition root (runtime.py); asked by the service."""

from __future__ import annotations

from dataclasses import dataclass

from cognitia.config import VoiceEntry
from cognitia.llm.runner.supervisor import Runner
from cognitia.voice.errors import UnknownVoice, VoiceUnavailable
from cognitia.voice.ports import SpeechSynthesizer, Transcriber, TurnDetector, VoiceInfo


@dataclass(frozen=True)
class NamedVoice:
    name: str
    entry: VoiceEntry
    synthesizer: SpeechSynthesizer


class VoiceRegistry:
    """Catalogue names -> voices, and the voice runner when a local voice needs one."""

    def __init__(
        self,
        voices: list[NamedVoice],
        *,
        default: str,
        runner: Runner | None = None,
        transcriber: Transcriber | None = None,
        turns: TurnDetector | None = None,
    ) -> None:
        self._voices = {voice.name: voice for voice in voices}
        self._default = default
        self.runner = runner
        # None when no transcription engine is configured or installed (503 voice_unavailable).
        self.transcriber = transcriber
        # Live calls' voice activity and turn ends; None: calls are refused (4503).
        self.turns = turns

    def get(self, name: str) -> NamedVoice:
        """The named voice (usable or not); UnknownVoice (422) for a name not in the catalogue."""
        if name not in self._voices:
            raise UnknownVoice(f"No voice named {name!r}; GET /api/v2/voices lists them.")
        return self._voices[name]

    def knows(self, name: str) -> bool:
        return name in self._voices

    def usable(self, name: str) -> bool:
        voice = self._voices.get(name)
        return voice is not None and any(v.name == name for v in voice.synthesizer.voices())

    def cloned(self, name: str) -> bool:
        """Whether the named voice is a clone (it speaks only as its characters)."""
        voice = self._voices.get(name)
        return voice is not None and voice.entry.convert is not None

    def listed(self) -> list[VoiceInfo]:
        """The voices that can speak now, the default first; cloned voices are not listed
        (they speak only as a character, with the owner's grant)."""
        seen: dict[str, VoiceInfo] = {}
        for voice in self._voices.values():
            for info in voice.synthesizer.voices():
                if not self.cloned(info.name):
                    seen.setdefault(info.name, info)
        return sorted(seen.values(), key=lambda info: (info.name != self._default, info.name))

    def default(self) -> NamedVoice:
        """The configured default voice, or the first that can speak; VoiceUnavailable if none.
        A cloned voice is never the default (it speaks only as its characters)."""
        if self.usable(self._default) and not self.cloned(self._default):
            return self._voices[self._default]
        for info in self.listed():
            return self._voices[info.name]
        raise VoiceUnavailable("No voice is installed: see docs/voice.md.")

    async def start(self) -> None:
        if self.runner is not None:
            await self.runner.start()

    async def close(self) -> None:
        closed: set[int] = set()
        for voice in self._voices.values():
            close = getattr(voice.synthesizer, "close", None)
            if close is not None and id(voice.synthesizer) not in closed:
                closed.add(id(voice.synthesizer))
                await close()
        close_transcriber = getattr(self.transcriber, "close", None)
        if close_transcriber is not None:
            await close_transcriber()
        if self.runner is not None:
            await self.runner.close()
