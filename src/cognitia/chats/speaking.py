"""A reply spoken while it is written: each complete sentence is synthesised in a task
beside the model's stream and goes to the turn as an `audio` event, in order.

The writer (chats/writer.py) hands sentences over with `say` and never waits for the
voice: a slow or failing voice cannot delay a token. The first failure ends the audio of
the reply with one `audio.error` event; the text goes on. `cancel` (a stop) ends it at
once: no `audio` event of the reply comes after it. In a group chat each reply's task
waits for the one before (`after`), so audio arrives in speaking order.

Each sentence spoken is metered for the person who asked for the audio (`metered`),
after its event is out, so metering never delays what is heard.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from cognitia.chats import live
from cognitia.chats.fanout import Turn
from cognitia.chats.ports import Meter, SpeakingVoice
from cognitia.errors import CognitiaError
from cognitia.voice.metering import spoken_seconds
from cognitia.voice.ports import Audio

log = logging.getLogger(__name__)

_END = None


@dataclass(frozen=True)
class MeteredFor:
    """Whose audio it is: the person who asked for the reply to be spoken."""

    meter: Meter
    user_id: str


class SpokenReply:
    """The audio of one reply; its task is the turn's to wait for (`Turn.keep`)."""

    def __init__(
        self,
        turn: Turn,
        message_id: str,
        voice: SpeakingVoice,
        *,
        after: asyncio.Task[None] | None = None,
        metered: MeteredFor | None = None,
    ) -> None:
        self._turn, self._message_id, self._voice = turn, message_id, voice
        self._after, self._metered = after, metered
        self._sentences: asyncio.Queue[tuple[int, str] | None] = asyncio.Queue()
        self._closed = False
        self._cancelled = False
        self.task = asyncio.get_running_loop().create_task(self._run())

    def say(self, index: int, text: str) -> None:
        """Speak this sentence once those before it are spoken."""
        if not self._closed:
            self._sentences.put_nowait((index, text))

    def close(self) -> None:
        """No more sentences: the task ends once the ones given are spoken."""
        if not self._closed:
            self._closed = True
            self._sentences.put_nowait(_END)

    def cancel(self) -> None:
        """Stop now: nothing more is synthesised nor emitted."""
        self._closed = self._cancelled = True
        self.task.cancel()

    async def _run(self) -> None:
        if self._after is not None:
            await asyncio.wait({self._after})  # waits, and never cancels the one before
        while (item := await self._sentences.get()) is not _END:
            index, text = item
            try:
                audio = await self._voice.speak(text)
            except CognitiaError as exc:
                await self._failed(index, exc.code, exc.detail)
                return
            except Exception:
                log.exception("speaking a sentence failed")
                await self._failed(index, "internal_error", "Something went wrong on our side.")
                return
            if self._cancelled:
                return
            spoken = live.Audio(
                message_id=self._message_id,
                index=index,
                text=text,
                voice=self._voice.name,
                format=self._voice.audio_format,
                media_type=audio.media_type,
                sample_rate=audio.sample_rate,
                duration_s=audio.duration_s,
                audio=audio.data,
            )
            # Metered from now on, beside sending it: a reply stopped (or a call hung up)
            # while this audio goes out still made it.
            metering = self._metering(audio, text)
            await self._turn.emit(spoken)
            if metering is not None:
                await metering

    def _metering(self, audio: Audio, text: str) -> asyncio.Task[None] | None:
        if self._metered is None:
            return None
        seconds = spoken_seconds(audio, text)
        write = self._metered.meter.record(self._metered.user_id, synthesized_s=seconds)
        return asyncio.get_running_loop().create_task(write)

    async def _failed(self, index: int, code: str, detail: str) -> None:
        if not self._cancelled:
            error = live.AudioError(self._message_id, index, self._voice.name, code, detail)
            await self._turn.emit(error)
