"""A live call once it is admitted: the browser's frames in, the microphone's turns out.

Two loops run side by side until the call ends: `_receive` reads the browser (audio goes
to the turn detector unless muted; commands), `_hear` reads the turn detector (speech
started: barge-in; speech stopped: a new turn, chats/call/answer.py). One turn runs at a
time: a new one starts once the one before has ended (it was interrupted when the person
began to speak).

A turn detector that goes away (the voice runner crashed) is opened again once its
supervisor has brought it back: the call hears nothing meanwhile, and says so with an
`error` frame. If it cannot be opened again, the call ends with 1011.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import MutableMapping
from typing import Any, Protocol

from cognitia.chats.call import protocol
from cognitia.chats.call.answer import Answer, Caller, CallPorts
from cognitia.chats.call.outbox import Outbox, Socket
from cognitia.config import CallSettings
from cognitia.voice.errors import VoiceUnavailable
from cognitia.voice.ports import Hearing, SpeechStarted, TurnDetector

log = logging.getLogger(__name__)

GONE = 0  # the browser went away: nothing to close


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
        self._ending = code
        for loop in self._loops:
            loop.cancel()

    async def _end(self) -> None:
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
                    else:
                        await self.outbox.send(protocol.event("speech.stopped"))
                        self._take_turn(heard.pcm)
                return protocol.INTERNAL_ERROR  # the detector ended by itself
            except VoiceUnavailable as exc:
                if not await self._listen_again(exc):
                    return protocol.INTERNAL_ERROR

    async def _listen_again(self, lost: VoiceUnavailable) -> bool:
        log.warning("a call lost its turn detector: %s", lost.detail)
        await self.outbox.send(
            protocol.error(lost.code, "The voice engine stopped; listening again shortly.")
        )
        try:
            self._hearing = await self._turns.open(
                silence_ms=self._settings.silence_ms,
                max_utterance_s=self._settings.max_utterance_seconds,
            )
        except VoiceUnavailable as exc:
            await self.outbox.send(protocol.error(exc.code, exc.detail))
            return False
        return True

    def _barge_in(self) -> None:
        if self._answer is not None:
            self._carry = self._answer.interrupt() + self._carry

    def _take_turn(self, pcm: bytes) -> None:
        pcm, self._carry = self._carry + pcm, b""
        before = self._answer
        self._answer = Answer(self._ports, self.outbox, self._caller, pcm, after=before)
