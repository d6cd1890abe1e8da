"""Cloned voices in spoken chat replies: a character whose voice is a clone speaks with it
only when every person in the chat may use it (its owner, or granted); else the default
voice speaks and the audio events name it. Real espeak-ng speaks, the stand-in
rvc-python server converts, the fake chat model writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from cognitia.config import Settings
from cognitia.models.user import User
from cognitia.runtime import Runtime
from tests.chats.conftest import fake_model_settings
from tests.chats.helpers import create_character, create_chat, named, stream
from tests.support.apps import running_app
from tests.support.factories import bearer, create_user, login
from tests.support.fake_rvc import FakeRvc
from tests.support.fake_upstream import FakeUpstream

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"),
]
NO_PIPER = {"engine": "piper", "voice": "en_US-nobody-medium", "model": "/nonexistent.onnx"}
REPLY = "Hello there. I am glad you came."


@pytest.fixture
def settings(database_url: str, tmp_path: Path, upstream: FakeUpstream, rvc: FakeRvc) -> Settings:
    clone = {"engine": "espeak", "voice": "en-us", "convert": {"url": rvc.url, "model": "ava"}}
    voices = {"joe": NO_PIPER, "ava-clone": clone}
    voice = {"default_voice": "espeak", "voices": voices}
    return fake_model_settings(database_url, tmp_path, upstream, voice=voice)


async def person(runtime: Runtime, http: httpx.AsyncClient) -> tuple[User, dict[str, str]]:
    user = await create_user(runtime)
    return user, bearer((await login(http, user.email))["access_token"])


async def spoken_voices(
    http: httpx.AsyncClient, headers: dict[str, str], chat_id: str
) -> list[str]:
    url = f"/api/v2/chats/{chat_id}/messages"
    events = await stream(http, url, headers, {"content": "Hi", "speak": True})
    assert named(events, "audio.error") == []
    return [audio["voice"] for audio in named(events, "audio")]


async def test_the_owner_alone_hears_the_clone(
    settings: Settings, upstream: FakeUpstream, rvc: FakeRvc
) -> None:
    upstream.script("rp-model", reply=REPLY)
    async with running_app(settings) as (app, http):
        runtime: Runtime = app.state.runtime
        owner_user, owner = await person(runtime, http)
        ava = await create_character(runtime, owner=owner_user, voice_model="ava-clone")
        chat = await create_chat(http, owner, ava.id)

        voices = await spoken_voices(http, owner, chat["id"])

    assert voices == ["ava-clone", "ava-clone"]
    assert len(rvc.conversions) == 2


async def test_a_member_without_the_grant_hears_the_default_until_granted(
    settings: Settings, upstream: FakeUpstream, rvc: FakeRvc
) -> None:
    upstream.script("rp-model", reply=REPLY, times=None)
    async with running_app(settings) as (app, http):
        runtime: Runtime = app.state.runtime
        owner_user, owner = await person(runtime, http)
        friend, _ = await person(runtime, http)
        ava = await create_character(runtime, owner=owner_user, voice_model="ava-clone")
        chat = await create_chat(http, owner, ava.id, participant_ids=[friend.id])

        before = await spoken_voices(http, owner, chat["id"])
        converted_before = len(rvc.conversions)
        granted = await http.post(
            f"/api/v2/characters/{ava.id}/voice-permission",
            json={"user_id": friend.id},
            headers=owner,
        )
        after = await spoken_voices(http, owner, chat["id"])

    assert before == ["espeak", "espeak"]
    assert converted_before == 0
    assert granted.status_code == 200, granted.text
    assert after == ["ava-clone", "ava-clone"]
    assert len(rvc.conversions) == 2
