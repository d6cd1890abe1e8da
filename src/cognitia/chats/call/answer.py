"""One turn of a live call: the person's utterance transcribed and stored as their message,
then the reply generated as POST /chats/{id}/messages generates it (chats/messages.send,
spoken as raw PCM), relayed to the browser as captions, each with its audio.

Interrupting (barge-in, or the browser's `interrupt`): before the person's message is
stored, the turn is dropped and its audio handed back to be heard again with what follows
(the person was not done); after, the reply is stopped through the chats' stop (its text
so far kept, status stopped), no more of its audio is sent, and `interrupted` ends it.

A model failure is an `error` frame and a spoken apology; a voice failure is an `error`
frame and the rest of the reply as text-only captions. The call goes on either way.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from cognitia.billing.quotas import Quotas
from cognitia.chats import live, messages, repository
from cognitia.chats.call.outbox import Outbox
from cognitia.chats.call.protocol import SAMPLE_RATE, Caption, error, event, refusal
from cognitia.chats.charging import charged
from cognitia.chats.generation import Generations
from cognitia.chats.ports import Meter, Speech
from cognitia.chats.schemas import MessageCreate
from cognitia.db import Database
from cognitia.errors import CognitiaError
from cognitia.models.message import AuthorType, MessageStatus
from cognitia.models.user import User
from cognitia.voice.ports import Transcriber, Transcript
from cognitia.voice.wavfile import wav

log = logging.getLogger(__name__)

APOLOGY = "Sorry, I lost my thread for a moment. Could you say that again?"
# What OpenAI's /audio/speech sends as pcm when a server does not say its rate.
HOSTED_PCM_RATE = 24_000


@dataclass(frozen=True)
class CallPorts:
    db: Database
    generations: Generations
    transcriber: Transcriber
    speech: Speech
    quotas: Quotas  # each turn is one of the day's messages, as POST /messages is
    meter: Meter | None = None  # the seconds heard (the replies meter what they speak)


@dataclass(frozen=True)
class Caller:
    """Who is on the call, in which chat, and what the start frame asked for."""

    user: User
    chat_id: str
    character_id: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class VoiceOf:
    """A character's voice fields (voice.service.Voiced), copied out of its session."""

    voice_model: str | None = None
    voice_settings: dict[str, Any] = field(default_factory=dict)
    # The apology does not check the chat's grants: a cloned voice gives way to the default.
    granted_to_all: bool = False


def settled(task: asyncio.Task[Any]) -> None:
    """A call's task ended: its failure is logged here, as nobody may wait for it (a
    browser gone mid-turn, a guess at a transcript that was dropped)."""
    if task.cancelled():
        return
    exc = task.exception()
    # Expected: a voice error (sent as a frame), a socket the browser has closed.
    if exc is not None and not isinstance(exc, CognitiaError | ConnectionError | RuntimeError):
        log.error("a live call's task failed", exc_info=exc)


class Answer:
    """One turn; `task` ends when the reply is done, stopped or failed."""

    def __init__(  # noqa: PLR0913 - the call's parts a turn uses
        self,
        ports: CallPorts,
        outbox: Outbox,
        caller: Caller,
        pcm: bytes,
        *,
        after: Answer | None,
        early: asyncio.Task[Transcript] | None = None,
    ) -> None:
        self._ports, self._outbox, self._caller, self.pcm = ports, outbox, caller, pcm
        self._after, self._early = after, early
        self.reply_id: str | None = None
        self._speaker: str | None = caller.character_id  # the character answering
        self.stored = False  # the person's message is stored: this turn can no longer be undone
        self.interrupted = False
        self.refused: CognitiaError | None = None  # storing the message was refused
        self._stops: set[asyncio.Task[bool]] = set()
        self._sentences: dict[str, dict[int, str]] = {}
        self._mute: set[str] = set()  # replies whose voice failed: text captions only
        self._spoken: dict[str, int] = {}  # captions with audio sent, per reply
        # A reply's last frame waits for its audio, which is made after its text is done.
        self._ends: dict[str, dict[str, Any]] = {}
        self.task = asyncio.get_running_loop().create_task(self._run())
        self.task.add_done_callback(settled)

    @property
    def done(self) -> bool:
        return self.task.done()

    def interrupt(self) -> bytes:
        """Stop this turn; the audio to hear again when it was dropped before storing."""
        if self.interrupted or self.done:
            return b""
        self.interrupted = True
        if not self.stored:
            self.task.cancel()
            if self._early is not None:
                self._early.cancel()
            return self.pcm
        if self.reply_id is not None:
            self._stop(self.reply_id)
        return b""

    async def _run(self) -> None:
        try:
            text = await self._transcribe()
            if text is None:
                return
            if not text:
                await self._outbox.send(event("transcript", message_id=None, text=""))
                return
            if self._after is not None:  # one turn at a time, in order
                await asyncio.wait({self._after.task})
            turn = await self._store(text)
            if turn is None:
                return
            async for item in turn.events():
                await self._relay(item)
            for message_id in list(self._ends):  # whatever audio was missing is not coming
                await self._end(message_id)
        finally:
            await asyncio.gather(*self._stops, return_exceptions=True)

    async def _transcribe(self) -> str | None:
        """The utterance's words (begun at its pause, when there was one); None on failure."""
        try:
            if self._early is not None:
                heard = await self._early
            else:
                heard = await self._ports.transcriber.transcribe(
                    wav(self.pcm, sample_rate=SAMPLE_RATE),
                    filename="call.wav",
                    language=self._caller.language,
                )
        except CognitiaError as exc:
            await self._outbox.send(error(exc.code, f"Transcription failed: {exc.detail}"))
            return None
        if self._ports.meter is not None:  # the whole utterance was heard, early guess or not
            seconds = len(self.pcm) / (2 * SAMPLE_RATE)
            await self._ports.meter.record(self._caller.user.id, transcribed_s=seconds)
        return heard.text.strip()

    async def _store(self, text: str) -> Any:
        data = MessageCreate(
            content=text, character_id=self._caller.character_id, speak=True, audio_format="pcm"
        )
        caller, ports = self._caller, self._ports
        try:
            turn = await charged(
                ports.quotas,
                ports.db,
                caller.user.id,
                lambda: messages.send(
                    ports.db, ports.generations, user=caller.user, chat_id=caller.chat_id, data=data
                ),
                speak=True,
                models=messages.models_of_send(caller.user, caller.chat_id, data),
            )
        except CognitiaError as exc:
            self.refused = exc
            await self._outbox.send(refusal(exc))
            return None
        self.stored = True
        message = turn.user_message
        assert message is not None  # a turn of a person's message carries it
        await self._outbox.send(event("transcript", message_id=message.id, text=message.content))
        return turn

    async def _relay(self, item: live.TurnEvent) -> None:
        if isinstance(item, live.MessageCreated):
            await self._reply_started(item)
        elif isinstance(item, live.Sentence):
            self._sentences.setdefault(item.message_id, {})[item.index] = item.text
            if item.message_id in self._mute:
                await self._text_caption(item.message_id, item.index, item.text)
        elif isinstance(item, live.Audio):
            if not self.interrupted and item.message_id not in self._mute:
                rate = item.sample_rate or HOSTED_PCM_RATE
                caption = Caption(item.message_id, item.index, item.text, rate, item.audio)
                await self._outbox.caption(caption)
                self._spoken[item.message_id] = self._spoken.get(item.message_id, 0) + 1
                await self._end_when_spoken(item.message_id)
        elif isinstance(item, live.AudioError):
            await self._voice_failed(item)
        elif isinstance(item, live.Error):
            await self._outbox.send(error(item.code or "internal_error", item.detail or ""))
            await self._apologise(item.message_id)
        elif isinstance(item, live.MessageCompleted):
            await self._reply_ended(item)

    async def _reply_started(self, item: live.MessageCreated) -> None:
        message = item.message
        if message.author_type != AuthorType.CHARACTER:
            return
        self.reply_id, self._speaker = message.id, message.character_id
        frame = event(
            "reply.started",
            message_id=message.id,
            character_id=message.character_id,
            character_name=message.name,
        )
        await self._outbox.send(frame)
        if self.interrupted:  # interrupted before the reply had opened
            self._stop(message.id)

    async def _reply_ended(self, item: live.MessageCompleted) -> None:
        message = item.message
        if message.author_type != AuthorType.CHARACTER:
            return
        if self.interrupted or message.status == MessageStatus.STOPPED:
            frame = event("interrupted", message_id=message.id, text=message.content)
            await self._outbox.send(frame)  # no more of its audio is sent
        elif message.status == MessageStatus.COMPLETE:
            self._ends[message.id] = event(
                "reply.done", message_id=message.id, text=message.content
            )
            await self._end_when_spoken(message.id)
        # failed: the error and the apology were sent

    async def _end_when_spoken(self, message_id: str) -> None:
        """`reply.done` once every sentence of the reply has been sent (or could not be)."""
        sentences = len(self._sentences.get(message_id, {}))
        spoken = self._spoken.get(message_id, 0)
        if message_id in self._ends and (spoken >= sentences or message_id in self._mute):
            await self._end(message_id)

    async def _end(self, message_id: str) -> None:
        frame = self._ends.pop(message_id, None)
        if frame is not None:
            await self._outbox.send(frame)

    async def _voice_failed(self, item: live.AudioError) -> None:
        """An `error`, then what was not spoken of the reply, as text."""
        await self._outbox.send(error(item.code, item.detail))
        self._mute.add(item.message_id)
        first = item.index or 0
        for index, text in sorted(self._sentences.get(item.message_id, {}).items()):
            if index >= first:
                await self._text_caption(item.message_id, index, text)
        await self._end_when_spoken(item.message_id)

    async def _text_caption(self, message_id: str, index: int, text: str) -> None:
        if not self.interrupted:
            await self._outbox.caption(Caption(message_id, index, text, SAMPLE_RATE, b""))

    async def _apologise(self, message_id: str | None) -> None:
        """The apology in the character's voice (text only when no voice can speak)."""
        index = len(self._sentences.get(message_id or "", {}))
        caption = Caption(message_id, index, APOLOGY, SAMPLE_RATE, b"")
        try:
            voice = self._ports.speech.voice_for(await self._voice_of(), "pcm")
            audio = await voice.speak(APOLOGY)
            rate = audio.sample_rate or HOSTED_PCM_RATE
            caption = Caption(message_id, index, APOLOGY, rate, audio.data)
        except CognitiaError as exc:
            log.info("the apology could not be spoken: %s", exc.code)
        await self._outbox.caption(caption)

    async def _voice_of(self) -> VoiceOf:
        async with self._ports.db.read() as session:
            roster = await repository.characters_of(session, [self._caller.chat_id])
        wanted = self._speaker
        for _, character in roster:
            if wanted is None or character.id == wanted:
                return VoiceOf(character.voice_model, dict(character.voice_settings or {}))
        return VoiceOf()

    def _stop(self, message_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._ports.generations.stop(message_id))
        self._stops.add(task)
        task.add_done_callback(self._stops.discard)
