"""What generating a reply is given to work with: the adapters and the recall port.

The composition root (cognitia/runtime.py) builds one `ReplyPorts` for the process's
`Generations`; nothing in chats reaches for the rest of the process's adapters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from cognitia.agents.tools.registry import ToolBox
from cognitia.db import Database
from cognitia.events.ports import EventBus
from cognitia.llm.registry import ModelRegistry
from cognitia.llm.service import UsageRecorder
from cognitia.memory.recall import Recall, Recalled
from cognitia.voice.ports import Audio, AudioFormat
from cognitia.voice.speaking import ChatVoiced

# The memories, knowledge and summary a reply's prompt may draw on. Its contract: it
# never raises and keeps to its time budget (memory/recall.py), so a reply never fails,
# nor waits long, for recall.
Recaller = Callable[[Recall], Awaitable[Recalled]]
# Start what recall for this message will need (its embedding) while the reply opens.
Warmer = Callable[[str], None]


def _nothing_to_warm(query: str) -> None:
    return None


class SpeakingVoice(Protocol):
    """One character's voice for one reply (voice/speaking.py: CharacterVoice)."""

    @property
    def name(self) -> str: ...  # the catalogue name

    @property
    def audio_format(self) -> AudioFormat: ...

    async def speak(self, text: str) -> Audio:
        """One sentence as a complete audio file; raises CognitiaError on failure."""
        ...


class Speech(Protocol):
    """Spoken replies (voice/speaking.py: ReplySpeech). `check` raises VoiceUnavailable
    when no voice can speak now; `voice_for` picks a character's voice, or raises.
    `first_clause_words`: a reply's first chunk is spoken at its first clause with this
    many words (0: at its first sentence end; chats/sentences.py)."""

    @property
    def first_clause_words(self) -> int: ...

    def check(self) -> None: ...

    def voice_for(self, character: ChatVoiced, audio_format: AudioFormat) -> SpeakingVoice: ...


class Meter(Protocol):
    """The audio meter (voice/metering.py: AudioMeter): seconds of audio made or heard for
    a person, per UTC day. Never raises."""

    async def record(
        self, user_id: str, *, synthesized_s: float = 0.0, transcribed_s: float = 0.0
    ) -> None: ...


@dataclass(frozen=True)
class ReplyPorts:
    db: Database
    models: ModelRegistry
    usage: UsageRecorder  # what each model call cost
    events: EventBus  # the chats' live channels, and stop commands between processes
    recall: Recaller | None  # None: memory is off (memory.enabled = false), nothing recalled
    remember: bool = True  # index each finished exchange (memory.enabled)
    warm: Warmer = _nothing_to_warm
    speech: Speech | None = None  # None: voice is off (voice.enabled = false)
    meter: Meter | None = None  # audio seconds per person and day (spoken replies, calls)
    tools: ToolBox | None = None  # None: characters call no tools
