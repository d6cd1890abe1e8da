"""espeak-ng as a subprocess: tiny, instant, robotic; the fallback that always speaks.

The text goes in on standard input (never on the command line, where a leading dash
would read as an option), and the WAV comes back on standard output.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil

from cognitia.voice.errors import UnsupportedFormat, VoiceUnavailable
from cognitia.voice.ports import MEDIA_TYPES, Audio, AudioFormat, VoiceInfo
from cognitia.voice.wavfile import parse, wav

# espeak-ng's own default rate, in words per minute; `speed` multiplies it.
BASE_WPM = 175
MIN_WPM, MAX_WPM = 80, 450


class EspeakSynthesizer:
    """SpeechSynthesizer over the espeak-ng executable (WAV and raw PCM)."""

    def __init__(self, voices: list[VoiceInfo], *, command: str, timeout_seconds: float) -> None:
        self._voices = voices
        self._command = command
        self._timeout = timeout_seconds

    def installed(self) -> bool:
        return shutil.which(self._command) is not None

    def voices(self) -> list[VoiceInfo]:
        return list(self._voices) if self.installed() else []

    async def synthesize(
        self, text: str, *, voice: str, speed: float = 1.0, audio_format: AudioFormat = "wav"
    ) -> Audio:
        if audio_format not in ("wav", "pcm"):
            raise UnsupportedFormat(f"espeak-ng voices speak wav or pcm, not {audio_format}.")
        output = await self._run(text, voice=voice, speed=speed)
        info = parse(output)
        if info is None:
            raise VoiceUnavailable("espeak-ng returned no audio.")
        data = (
            info.samples
            if audio_format == "pcm"
            else wav(info.samples, sample_rate=info.sample_rate)
        )
        return Audio(data, MEDIA_TYPES[audio_format], info.sample_rate, info.duration_s)

    async def _run(self, text: str, *, voice: str, speed: float) -> bytes:
        wpm = round(min(MAX_WPM, max(MIN_WPM, BASE_WPM * speed)))
        try:
            process = await asyncio.create_subprocess_exec(
                self._command, "--stdout", "-b", "1", "-v", voice, "-s", str(wpm),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
        except OSError as exc:
            raise VoiceUnavailable(f"espeak-ng cannot be started: {exc}") from None
        try:
            async with asyncio.timeout(self._timeout):
                out, err = await process.communicate(text.encode("utf-8"))
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise VoiceUnavailable("espeak-ng took too long.") from None
        if process.returncode != 0:
            message = err.decode("utf-8", "replace").strip()[:200]
            raise VoiceUnavailable(f"espeak-ng failed: {message or process.returncode}")
        return out
