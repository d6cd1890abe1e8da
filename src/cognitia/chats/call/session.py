"""A live call once it is admitted: the browser's frames in, the microphone's turns out.

Two loops run side by side until the call ends: `_receive` reads the browser (audio goes
to the turn detector unless muted; commands), `_hear` reads the turn detector (speech
started: barge-in; speech stopped: a new turn, chats/call/answer.py). One turn runs at a
time: a new one starts once the one before has ended (it was interrupted when the person
began to speak).

Transcribing starts early: at a short pause (voice.call.early_transcription_ms) the turn
detector gives the utterance so far, and its transcription runs while the rest of the
silence that ends a turn is waited for; the turn takes it if no speech came between.

A turn detector that goes away (the voice runner crashed) is opened again once its
supervisor has brought it back, and says so with an `error` frame; the audio that came
meanwhile (up to DEAF_SECONDS of it) is kept and heard then. If it cannot be opened again,
the call ends with 1011.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import MutableMapping
from typing import Any, Protocol

from cognitia.chats.call import protocol
from cognitia.chats.call.answer import Answer, Caller, CallPorts, settled
from cognitia.chats.call.outbox import Outbox, Socket
from cognitia.chats.errors import ChatClosed, ChatNotFound
from cognitia.config import CallSettings
from cognitia.voice.errors import VoiceUnavailable
from cognitia.voice.ports import (
    Hearing,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    Transcript,
    TurnDetector,
)
from cognitia.voice.wavfile import wav

log = logging.getLogger(__name__)

GONE = 0  # the browser went away: nothing to close
DEAF_SECONDS = 30  # audio kept while the turn detector is opened again
DEAF_BYTES = DEAF_SECONDS * protocol.SAMPLE_RATE * 2


class CallSocket(Socket, Protocol):
    async def receive(self) -> MutableMapping[str, Any]: ...


class Call:
    def __init__(  # noqa: PLR0913 - the call's parts
        self,
        ports: CallPorts,
        socket: CallSocket,
        caller: Caller,
        turns: TurnDetector,
        hearing: Hearing,
        settings: CallSettings,
    ) -> None:
        self._ports, self._socket, self._caller = ports, socket, caller
        self._turns, self._hearing, self._settings = turns, hearing, settings
        self.outbox = Outbox(socket)
        self._muted = False
        self._answer: Answer | None = None
        self._carry = b""  # an utterance dropped by barge-in, heard again with the next
        self._early: asyncio.Task[Transcript] | None = None  # the utterance so far, transcribing
        self._deaf: list[bytes] | None = None  # audio kept while the detector is reopened
        self._ending: int | None = None
        self._loops: list[asyncio.Task[int]] = []

    async def run(self) -> int:
        """The call until it ends; the close code to end it with (GONE: none)."""
        self._loops = [asyncio.create_task(self._receive()), asyncio.create_task(self._hear())]
        try:
            done, _ = await asyncio.wait(self._loops, return_when=asyncio.FIRST_COMPLETED)
            finished = next(iter(done))
            code = protocol.GOING_AWAY if finished.cancelled() else finished.result()
        finally:
            for loop in self._loops:
                loop.cancel()
            await self._end()
        return self._ending if self._ending is not None else code

    async def hang_up(self, code: int = protocol.GOING_AWAY) -> None:
        """End the call from outside (a shutdown)."""
        self._end_with(code)

    def _end_with(self, code: int) -> None:
        self._ending = code
        for loop in self._loops:
            loop.cancel()

    def _turn_ended(self, answer: Answer) -> None:
        """A person who lost access to the chat (removed from it, or it was deleted) learns
        it at their next turn: the `error` was sent, the call ends with 4404; a chat closed
        meanwhile (its coaching session ended) ends it with 4409."""
        if isinstance(answer.refused, ChatNotFound):
            self._end_with(protocol.NOT_FOUND)
        elif isinstance(answer.refused, ChatClosed):
            self._end_with(protocol.CONFLICT)

    async def _end(self) -> None:
        self._guess(None)
        if self._answer is not None:
            self._answer.interrupt()  # the reply stops, its text so far kept
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._answer.task
        with contextlib.suppress(Exception):
            await self._hearing.close()

    # -- the browser ---------------------------------------------------------------------

    async def _receive(self) -> int:
        while True:
            message = await self._socket.receive()
            if message["type"] == "websocket.disconnect":
                return GONE
            try:
                if message.get("bytes") is not None:
                    await self._audio(protocol.pcm(message["bytes"]))
                elif (code := await self._command(message.get("text") or "")) is not None:
                    return code
            except protocol.ProtocolError as exc:
                await self.outbox.send(protocol.error("invalid_frame", str(exc)))
                return protocol.BAD_FRAME

    async def _audio(self, pcm: bytes) -> None:
        if self._muted or not pcm:
            return
        if self._deaf is not None:
            if sum(map(len, self._deaf)) + len(pcm) <= DEAF_BYTES:
                self._deaf.append(pcm)
            return
        with contextlib.suppress(VoiceUnavailable):  # _hear opens the detector again
            await self._hearing.send(pcm)

    async def _command(self, text: str) -> int | None:
        kind = protocol.command(text)
        if kind == "hangup":
            return protocol.NORMAL
        if kind == "interrupt":
            self._barge_in()
        elif kind == "mute":
            self._muted = True
            self._guess(None)  # what was being said is dropped, and so is its transcript
            with contextlib.suppress(VoiceUnavailable):
                await self._hearing.reset()
        else:
            self._muted = False
        return None

    # -- the microphone's turns ------------------------------------------------------------

    async def _hear(self) -> int:
        while True:
            try:
                async for heard in self._hearing.events():
                    if isinstance(heard, SpeechStarted):
                        await self.outbox.send(protocol.event("speech.started"))
                        self._barge_in()
                    elif isinstance(heard, SpeechPaused):
                        self._guess(heard.pcm)
                    elif isinstance(heard, SpeechResumed):
                        self._guess(None)
                    else:
                        await self.outbox.send(protocol.event("speech.stopped"))
                        self._take_turn(heard.pcm)
                return protocol.INTERNAL_ERROR  # the detector ended by itself
            except VoiceUnavailable as exc:
                if not await self._listen_again(exc):
                    return protocol.INTERNAL_ERROR

    async def _listen_again(self, lost: VoiceUnavailable) -> bool:
        log.warning("a call lost its turn detector: %s", lost.detail)
        self._deaf = []
        await self.outbox.send(
            protocol.error(lost.code, "The voice engine stopped; listening again shortly.")
        )
        try:
            self._hearing = await listen(self._turns, self._settings)
            while self._deaf:  # what was said meanwhile, then live again
                await self._hearing.send(self._deaf.pop(0))
        except VoiceUnavailable as exc:
            log.warning("a call could not listen again: %s", exc.detail)
            await self.outbox.send(protocol.error(exc.code, exc.detail))
            return False
        self._deaf = None
        return True

    def _barge_in(self) -> None:
        if self._answer is not None:
            self._carry = self._answer.interrupt() + self._carry

    def _guess(self, pcm: bytes | None) -> None:
        """Transcribe the utterance so far (None: the person went on; drop the guess)."""
        if self._early is not None:
            self._early.cancel()
        self._early = None
        if pcm is not None:
            audio = wav(pcm, sample_rate=protocol.SAMPLE_RATE)
            transcribing = self._ports.transcriber.transcribe(
                audio, filename="call.wav", language=self._caller.language
            )
            self._early = asyncio.get_running_loop().create_task(transcribing)
            self._early.add_done_callback(settled)

    def _take_turn(self, pcm: bytes) -> None:
        early, self._early = self._early, None
        if self._carry and early is not None:  # the guess lacks the carried audio
            early.cancel()
            early = None
        pcm, self._carry = self._carry + pcm, b""
        before = self._answer
        answer = self._answer = Answer(
            self._ports, self.outbox, self._caller, pcm, after=before, early=early
        )
        answer.task.add_done_callback(lambda _: self._turn_ended(answer))


async def listen(turns: TurnDetector, settings: CallSettings) -> Hearing:
    """A turn detector for one call, with the call settings."""
    return await turns.open(
        silence_ms=settings.silence_ms,
        pause_ms=settings.early_transcription_ms,
        max_utterance_s=settings.max_utterance_seconds,
    )
