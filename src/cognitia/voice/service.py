"""Speaking text: which voice and speed (request, then character, then the default), the
length limit, and the call to the voice's adapter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cognitia.characters import service as characters
from cognitia.db import Database
from cognitia.models.character import Character
from cognitia.models.user import User
from cognitia.voice.errors import TextTooLong, VoiceNotGranted, VoiceUnavailable
from cognitia.voice.ports import Audio, AudioFormat
from cognitia.voice.registry import NamedVoice, VoiceRegistry


class Voiced(Protocol):
    """What a voice is chosen from: a character (the row, or the voice fields copied from it)."""

    @property
    def voice_model(self) -> str | None: ...

    @property
    def voice_settings(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class SpeechOrder:
    text: str
    character_id: str | None = None
    voice: str | None = None
    speed: float | None = None
    audio_format: AudioFormat = "wav"


@dataclass(frozen=True)
class Spoken:
    audio: Audio
    voice: str


async def speak(
    db: Database,
    *,
    user: User,
    voices: VoiceRegistry,
    order: SpeechOrder,
    max_chars: int,
) -> Spoken:
    """Speak `order.text`; 404 for a character the user cannot see, 422 unknown_voice,
    413 text_too_long, 503 voice_unavailable.

    The character is read in a short read-only session of its own: no database
    connection is held while the audio is made (seconds, for a long text)."""
    if len(order.text) > max_chars:
        raise TextTooLong(f"At most {max_chars} characters can be spoken at once.")
    character = None
    if order.character_id is not None:
        async with db.read() as session:
            character = await characters.get_visible(
                session, user=user, character_id=order.character_id
            )
    voice = choose_voice(voices, requested=order.voice, character=character)
    if voice.entry.convert is not None:
        await require_grant(db, user=user, character=character, voice=voice.name)
    speed = order.speed or character_speed(character)
    audio = await voice.synthesizer.synthesize(
        order.text, voice=voice.entry.voice, speed=speed, audio_format=order.audio_format
    )
    return Spoken(audio, voice.name)


async def require_grant(
    db: Database, *, user: User, character: Character | None, voice: str
) -> None:
    """A cloned voice speaks only as a character whose voice_model names it, for the
    character's owner and the users the owner granted; else 403 voice_not_granted."""
    if character is None or character.voice_model != voice:
        raise VoiceNotGranted(f"The cloned voice {voice!r} speaks only as its character.")
    async with db.read() as session:
        if not await characters.can_use_voice(session, user=user, character=character):
            raise VoiceNotGranted(
                "This character's voice is a clone: its owner must grant you its use."
            )


def choose_voice(
    voices: VoiceRegistry, *, requested: str | None, character: Voiced | None
) -> NamedVoice:
    """The requested voice (unknown: 422; cannot speak now: 503); else the character's, when
    it can speak; else the default. A character's voice that is unknown here (a card made
    for another engine, say) falls back to the default rather than silence."""
    if requested is not None:
        voice = voices.get(requested)
        if not voices.usable(requested):
            raise VoiceUnavailable(f"The voice {requested!r} cannot speak right now.")
        return voice
    wanted = character.voice_model if character is not None else None
    if wanted and voices.knows(wanted) and voices.usable(wanted):
        return voices.get(wanted)
    return voices.default()


def character_speed(character: Voiced | None) -> float:
    """voice_settings.speed when it is a number in 0.25..4, else 1.0."""
    if character is None:
        return 1.0
    speed = character.voice_settings.get("speed")
    if isinstance(speed, int | float) and not isinstance(speed, bool) and 0.25 <= speed <= 4.0:
        return float(speed)
    return 1.0
