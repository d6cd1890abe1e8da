"""GET /api/v2/voices and POST /api/v2/voice/speech through the app, with real espeak-ng
and a stand-in OpenAI-compatible server as the voices (piper: tests/voice/test_runner.py)."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from cognitia.app import create_app
from cognitia.config import Settings
from cognitia.voice.wavfile import parse
from tests.characters.helpers import create_character
from tests.conftest import make_settings
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_speech import FakeSpeech

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"),
]
SPEECH = "/api/v2/voice/speech"
# The built-in joe is replaced by one whose files do not exist: these tests must not
# depend on whether piper is installed.
NO_PIPER = {"engine": "piper", "voice": "en_US-nobody-medium", "model": "/nonexistent.onnx"}


@pytest.fixture(scope="module")
def speech_server() -> Iterator[FakeSpeech]:
    with FakeSpeech() as fake:
        yield fake


@pytest.fixture
def standin(speech_server: FakeSpeech) -> FakeSpeech:
    speech_server.status = 200
    speech_server.requests.clear()
    return speech_server


def voice_settings(standin: FakeSpeech, **overrides: object) -> dict[str, object]:
    voices = {
        "joe": NO_PIPER,
        "nova": {"engine": "openai", "voice": "nova-id", "model": "tts-1", "base_url": standin.url},
    }
    return {"default_voice": "espeak", "voices": voices, **overrides}


@pytest.fixture
def settings(database_url: str, tmp_path: Path, standin: FakeSpeech) -> Settings:
    return make_settings(database_url, tmp_path, voice=voice_settings(standin))


async def test_lists_the_voices_that_can_speak_default_first(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, headers = await user_with_token(runtime_of(app), client)

    response = await client.get("/api/v2/voices", headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert [v["name"] for v in body["voices"]] == ["espeak", "nova"]  # joe cannot speak here
    assert body["default"] == "espeak"
    assert body["voices"][0] == {
        "name": "espeak",
        "engine": "espeak",
        "language": "en",
        "description": body["voices"][0]["description"],
        "default": True,
    }


async def test_speaks_wav_with_the_default_voice(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(runtime_of(app), client)

    response = await client.post(SPEECH, json={"text": "Hello there."}, headers=headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["x-voice"] == "espeak"
    info = parse(response.content)
    assert info is not None
    assert info.duration_s > 0.3


async def test_the_json_shape_carries_base64_audio(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(runtime_of(app), client)
    body = {"text": "Hello there.", "response_format": "json"}

    response = await client.post(SPEECH, json=body, headers=headers)

    assert response.status_code == 200, response.text
    data = response.json()
    assert data["format"] == "wav"
    assert data["voice"] == "espeak"
    assert data["sample_rate"] == 22050
    info = parse(base64.b64decode(data["audio_base64"]))
    assert info is not None
    assert data["duration_s"] == pytest.approx(info.duration_s)


async def test_speaks_as_a_character_with_its_voice_and_speed(
    app: FastAPI, client: httpx.AsyncClient, standin: FakeSpeech
) -> None:
    _, headers = await user_with_token(runtime_of(app), client)
    character = await create_character(
        client, headers, voice_model="nova", voice_settings={"speed": 1.25}
    )
    body = {"text": "I am Ava.", "character_id": character["id"]}

    response = await client.post(SPEECH, json=body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.headers["x-voice"] == "nova"
    assert standin.requests[-1]["voice"] == "nova-id"
    assert standin.requests[-1]["speed"] == 1.25
    assert standin.requests[-1]["input"] == "I am Ava."


async def test_the_requests_voice_and_speed_win_over_the_characters(
    app: FastAPI, client: httpx.AsyncClient, standin: FakeSpeech
) -> None:
    _, headers = await user_with_token(runtime_of(app), client)
    character = await create_character(client, headers, voice_model="espeak")
    body = {"text": "Hi.", "character_id": character["id"], "voice": "nova", "speed": 0.5}

    response = await client.post(SPEECH, json=body, headers=headers)

    assert response.headers["x-voice"] == "nova"
    assert standin.requests[-1]["speed"] == 0.5


async def test_a_characters_unknown_voice_falls_back_to_the_default(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, headers = await user_with_token(runtime_of(app), client)
    character = await create_character(client, headers, voice_model="af_bella")
    body = {"text": "Hi.", "character_id": character["id"]}

    response = await client.post(SPEECH, json=body, headers=headers)

    assert response.status_code == 200
    assert response.headers["x-voice"] == "espeak"


async def test_an_unknown_voice_is_422(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(runtime_of(app), client)

    response = await client.post(SPEECH, json={"text": "Hi.", "voice": "af_bella"}, headers=headers)

    assert response.status_code == 422
    assert response.json()["error"] == "unknown_voice"


async def test_a_known_voice_that_cannot_speak_is_503(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, headers = await user_with_token(runtime_of(app), client)

    response = await client.post(SPEECH, json={"text": "Hi.", "voice": "joe"}, headers=headers)

    assert response.status_code == 503
    assert response.json()["error"] == "voice_unavailable"


async def test_text_over_the_limit_is_413(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(runtime_of(app), client)
    limit = runtime_of(app).settings.voice.max_text_chars

    response = await client.post(SPEECH, json={"text": "a" * (limit + 1)}, headers=headers)

    assert response.status_code == 413
    assert response.json()["error"] == "text_too_long"


@pytest.mark.parametrize("text", ["", "   \n"])
async def test_nothing_to_say_is_422(app: FastAPI, client: httpx.AsyncClient, text: str) -> None:
    _, headers = await user_with_token(runtime_of(app), client)

    response = await client.post(SPEECH, json={"text": text}, headers=headers)

    assert response.status_code == 422


async def test_a_format_the_voice_cannot_write_is_422(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, headers = await user_with_token(runtime_of(app), client)
    body = {"text": "Hi.", "voice": "espeak", "response_format": "mp3"}

    response = await client.post(SPEECH, json=body, headers=headers)

    assert response.status_code == 422
    assert response.json()["error"] == "unsupported_format"


async def test_a_server_that_refuses_is_422_and_one_that_fails_is_503(
    app: FastAPI, client: httpx.AsyncClient, standin: FakeSpeech
) -> None:
    _, headers = await user_with_token(runtime_of(app), client)
    body = {"text": "Hi.", "voice": "nova"}

    standin.status = 400
    refused = await client.post(SPEECH, json=body, headers=headers)
    standin.status = 500
    failed = await client.post(SPEECH, json=body, headers=headers)

    assert (refused.status_code, refused.json()["error"]) == (422, "speech_rejected")
    assert (failed.status_code, failed.json()["error"]) == (503, "voice_unavailable")


async def test_another_users_private_character_is_404(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, owner = await user_with_token(runtime_of(app), client)
    _, stranger = await user_with_token(runtime_of(app), client)
    character = await create_character(client, owner, voice_model="nova")
    body = {"text": "Hi.", "character_id": character["id"]}

    response = await client.post(SPEECH, json=body, headers=stranger)

    assert response.status_code == 404


async def test_another_users_public_character_speaks(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, owner = await user_with_token(runtime_of(app), client)
    _, stranger = await user_with_token(runtime_of(app), client)
    character = await create_character(client, owner, voice_model="nova", visibility="public")
    body = {"text": "Hi.", "character_id": character["id"]}

    response = await client.post(SPEECH, json=body, headers=stranger)

    assert response.status_code == 200
    assert response.headers["x-voice"] == "nova"


async def test_voice_endpoints_need_a_login(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v2/voices")).status_code == 401
    assert (await client.post(SPEECH, json={"text": "Hi."})).status_code == 401


async def answers_with(settings: Settings) -> tuple[httpx.Response, httpx.Response]:
    """GET /api/v2/voices and a POST /api/v2/voice/speech from an app with these settings."""
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            _, headers = await user_with_token(runtime_of(app), http)
            listed = await http.get("/api/v2/voices", headers=headers)
            spoken = await http.post(SPEECH, json={"text": "Hi."}, headers=headers)
    return listed, spoken


async def test_with_no_engine_installed_nothing_is_listed_and_speech_is_503(
    database_url: str, tmp_path: Path, standin: FakeSpeech
) -> None:
    voice = {"voices": {"joe": NO_PIPER}, "espeak_command": "/nonexistent/espeak-ng"}
    settings = make_settings(database_url, tmp_path, voice=voice)

    listed, spoken = await answers_with(settings)

    assert listed.json() == {"voices": [], "default": None}
    assert (spoken.status_code, spoken.json()["error"]) == (503, "voice_unavailable")


async def test_a_default_that_cannot_speak_gives_way_to_one_that_can(
    database_url: str, tmp_path: Path, standin: FakeSpeech
) -> None:
    settings = make_settings(
        database_url, tmp_path, voice=voice_settings(standin, default_voice="joe")
    )

    listed, spoken = await answers_with(settings)

    assert listed.json()["default"] == "espeak"
    assert spoken.headers["x-voice"] == "espeak"


async def test_voice_turned_off_is_503(
    database_url: str, tmp_path: Path, standin: FakeSpeech
) -> None:
    settings = make_settings(database_url, tmp_path, voice={"enabled": False})

    listed, spoken = await answers_with(settings)

    assert listed.status_code == spoken.status_code == 503
    assert spoken.json()["error"] == "voice_unavailable"
