"""Cloned voices through POST /api/v2/voice/speech: real espeak-ng speaks, the stand-in
rvc-python server converts, and the owner's grant (voice-permission) is enforced."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from cognitia.app import create_app
from cognitia.chats.replies import SpeakerVoice
from cognitia.config import Settings
from cognitia.voice.speaking import ReplySpeech
from cognitia.voice.wavfile import parse
from tests.characters.helpers import create_character
from tests.conftest import make_settings
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_rvc import TARGET_RATE, FakeRvc
from tests.support.net import free_port

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"),
]
SPEECH = "/api/v2/voice/speech"
NO_PIPER = {"engine": "piper", "voice": "en_US-nobody-medium", "model": "/nonexistent.onnx"}
DOWN = f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path, rvc: FakeRvc) -> Settings:
    voices = {
        "joe": NO_PIPER,
        "ava-clone": {
            "engine": "espeak",
            "voice": "en-us",
            "convert": {"url": rvc.url, "model": "ava", "f0up_key": 2},
        },
        "gone-clone": {
            "engine": "espeak",
            "voice": "en-us",
            "convert": {"url": DOWN, "model": "x"},
        },
    }
    return make_settings(
        database_url, tmp_path, voice={"default_voice": "espeak", "voices": voices}
    )


async def test_the_owner_hears_the_converted_voice(
    app: FastAPI, client: httpx.AsyncClient, rvc: FakeRvc
) -> None:
    _, owner = await user_with_token(runtime_of(app), client)
    character = await create_character(client, owner, voice_model="ava-clone")

    response = await client.post(
        SPEECH, json={"text": "Hello there.", "character_id": character["id"]}, headers=owner
    )

    assert response.status_code == 200, response.text
    assert response.headers["x-voice"] == "ava-clone"
    assert response.content == rvc.conversions[-1].output
    assert rvc.conversions[-1].model == "ava"
    assert rvc.conversions[-1].params["f0up_key"] == 2
    info = parse(response.content)
    assert info is not None
    assert info.sample_rate == TARGET_RATE
    assert info.duration_s > 0.1


async def test_pcm_is_the_converted_wavs_samples_and_mp3_is_422(
    app: FastAPI, client: httpx.AsyncClient, rvc: FakeRvc
) -> None:
    _, owner = await user_with_token(runtime_of(app), client)
    character = await create_character(client, owner, voice_model="ava-clone")
    body = {"text": "Hi.", "character_id": character["id"]}

    pcm = await client.post(SPEECH, json={**body, "response_format": "pcm"}, headers=owner)
    mp3 = await client.post(SPEECH, json={**body, "response_format": "mp3"}, headers=owner)

    assert pcm.status_code == 200, pcm.text
    info = parse(rvc.conversions[-1].output)
    assert info is not None
    assert pcm.content == info.samples
    assert (mp3.status_code, mp3.json()["error"]) == (422, "unsupported_format")


async def test_someone_without_the_grant_is_refused_until_the_owner_grants_it(
    app: FastAPI, client: httpx.AsyncClient, rvc: FakeRvc
) -> None:
    _, owner = await user_with_token(runtime_of(app), client)
    friend, friend_headers = await user_with_token(runtime_of(app), client)
    character = await create_character(client, owner, voice_model="ava-clone", visibility="public")
    body = {"text": "Hi.", "character_id": character["id"]}

    refused = await client.post(SPEECH, json=body, headers=friend_headers)
    granted = await client.post(
        f"/api/v2/characters/{character['id']}/voice-permission",
        json={"user_id": friend.id},
        headers=owner,
    )
    allowed = await client.post(SPEECH, json=body, headers=friend_headers)

    assert (refused.status_code, refused.json()["error"]) == (403, "voice_not_granted")
    assert granted.status_code == 200, granted.text
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["x-voice"] == "ava-clone"
    assert len(rvc.conversions) == 1  # the refusal converted nothing


async def test_a_revoked_grant_refuses_again(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, owner = await user_with_token(runtime_of(app), client)
    friend, friend_headers = await user_with_token(runtime_of(app), client)
    character = await create_character(client, owner, voice_model="ava-clone", visibility="public")
    permission = f"/api/v2/characters/{character['id']}/voice-permission"
    await client.post(permission, json={"user_id": friend.id}, headers=owner)
    await client.delete(f"{permission}/{friend.id}", headers=owner)

    response = await client.post(
        SPEECH, json={"text": "Hi.", "character_id": character["id"]}, headers=friend_headers
    )

    assert (response.status_code, response.json()["error"]) == (403, "voice_not_granted")


async def test_a_clone_asked_for_by_name_speaks_only_as_its_character(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, owner = await user_with_token(runtime_of(app), client)
    other = await create_character(client, owner, voice_model="espeak")

    alone = await client.post(SPEECH, json={"text": "Hi.", "voice": "ava-clone"}, headers=owner)
    borrowed = await client.post(
        SPEECH,
        json={"text": "Hi.", "voice": "ava-clone", "character_id": other["id"]},
        headers=owner,
    )

    assert (alone.status_code, alone.json()["error"]) == (403, "voice_not_granted")
    assert (borrowed.status_code, borrowed.json()["error"]) == (403, "voice_not_granted")


async def test_another_voice_by_name_needs_no_grant(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, owner = await user_with_token(runtime_of(app), client)
    _, stranger = await user_with_token(runtime_of(app), client)
    character = await create_character(client, owner, voice_model="ava-clone", visibility="public")
    body = {"text": "Hi.", "character_id": character["id"], "voice": "espeak"}

    response = await client.post(SPEECH, json=body, headers=stranger)

    assert response.status_code == 200
    assert response.headers["x-voice"] == "espeak"


async def test_a_conversion_server_that_is_down_is_503(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, owner = await user_with_token(runtime_of(app), client)
    character = await create_character(client, owner, voice_model="gone-clone")

    response = await client.post(
        SPEECH, json={"text": "Hi.", "character_id": character["id"]}, headers=owner
    )

    assert (response.status_code, response.json()["error"]) == (503, "voice_unavailable")
    assert "cannot be reached" in response.json()["detail"]


async def test_clones_are_not_listed(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(runtime_of(app), client)

    response = await client.get("/api/v2/voices", headers=headers)

    assert [v["name"] for v in response.json()["voices"]] == ["espeak"]


async def test_a_clone_named_as_the_default_gives_way(
    database_url: str, tmp_path: Path, settings: Settings
) -> None:
    voice = settings.voice.model_copy(update={"default_voice": "ava-clone"})
    app = create_app(settings.model_copy(update={"voice": voice}))
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            _, headers = await user_with_token(runtime_of(app), http)
            response = await http.post(SPEECH, json={"text": "Hi."}, headers=headers)

    assert response.status_code == 200, response.text
    assert response.headers["x-voice"] == "espeak"


async def test_a_spoken_chat_reply_speaks_with_a_clone_only_when_all_may_use_it(
    app: FastAPI,
) -> None:
    """The chat works out `granted_to_all` when a reply opens
    (tests/voice/test_cloned_voices_in_chats.py); the voice follows it."""
    speech = ReplySpeech(runtime_of(app).voices)

    refused = speech.voice_for(SpeakerVoice("ava-clone", {}, granted_to_all=False), "wav")
    granted = speech.voice_for(SpeakerVoice("ava-clone", {}, granted_to_all=True), "wav")

    assert (refused.name, granted.name) == ("espeak", "ava-clone")
