"""The audio meter: seconds synthesised and transcribed per user and UTC day, the unit of
voice quotas (issue 16 enforces them).

Everything that makes or hears audio for a person records it here: POST
/api/v2/voice/speech and /voice/transcriptions, and spoken chat replies (the person who
asked for them). The composition root builds one `AudioMeter` per process and hands it to
the routers (http.deps) and to chats (chats/ports.py: ReplyPorts.meter).

Durations are the audio's own (Audio.duration_s, Transcript.duration_s). Where an engine
does not say (an MP3 from a hosted server, a transcription server that answers only the
text), the seconds are estimated from the text at a normal speaking rate: decoding the
file would need native code in this process.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

from pydantic import BaseModel

from cognitia.db import Database
from cognitia.kit.clock import utcnow
from cognitia.voice import repository
from cognitia.voice.ports import Audio, Transcript

log = logging.getLogger(__name__)

# About 150 words a minute at 6 characters a word (the space included).
CHARS_PER_SECOND = 15.0


def spoken_seconds(audio: Audio, text: str, speed: float = 1.0) -> float:
    """The audio's duration; estimated from the text where the engine did not give one."""
    if audio.duration_s is not None:
        return audio.duration_s
    return len(text) / CHARS_PER_SECOND / max(speed, 0.25)


def heard_seconds(transcript: Transcript) -> float:
    """The audio's duration as the engine decoded it; estimated from the text heard where
    the engine gave none (a server that answers only `{"text"}`)."""
    if transcript.duration_s > 0:
        return transcript.duration_s
    return len(transcript.text) / CHARS_PER_SECOND


class AudioMeter:
    """Adds seconds to the user's row of the day, each in its own short unit of work.

    `record` waits for its write, but a caller that is cancelled meanwhile (a stopped
    reply, a client gone) does not cancel it: audio that was made is metered. A failed
    write is logged, never raised: the audio was already given."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._tasks: set[asyncio.Task[None]] = set()

    async def record(
        self, user_id: str, *, synthesized_s: float = 0.0, transcribed_s: float = 0.0
    ) -> None:
        if synthesized_s <= 0 and transcribed_s <= 0:
            return
        write = self._write(user_id, max(synthesized_s, 0.0), max(transcribed_s, 0.0))
        task = asyncio.get_running_loop().create_task(write)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await asyncio.shield(task)

    async def _write(self, user_id: str, synthesized_s: float, transcribed_s: float) -> None:
        try:
            async with self._db.unit_of_work() as session:
                await repository.add_audio(
                    session,
                    user_id=user_id,
                    day=utcnow().date(),
                    synthesized_s=synthesized_s,
                    transcribed_s=transcribed_s,
                )
        except Exception:
            log.exception("metering audio failed")

    async def drain(self) -> None:
        """Wait for writes still running (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def report(self, *, days: int, user_id: str | None) -> AudioUsageReport:
        """The last `days` UTC days, today included; everyone's when user_id is None."""
        since = utcnow().date() - timedelta(days=days - 1)
        async with self._db.read() as session:
            rows = await repository.audio_by_day(session, since=since, user_id=user_id)
        listed = [
            AudioUsageRow(
                day=row.day,
                user_id=row.user_id,
                synthesized_s=round(row.synthesized_s, 3),
                transcribed_s=round(row.transcribed_s, 3),
            )
            for row in rows
        ]
        return AudioUsageReport(
            days=days,
            rows=listed,
            total_synthesized_s=round(sum(r.synthesized_s for r in rows), 3),
            total_transcribed_s=round(sum(r.transcribed_s for r in rows), 3),
        )


class AudioUsageRow(BaseModel):
    day: date
    user_id: str
    synthesized_s: float
    transcribed_s: float


class AudioUsageReport(BaseModel):
    days: int
    rows: list[AudioUsageRow]
    total_synthesized_s: float
    total_transcribed_s: float
