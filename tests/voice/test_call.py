"""Live calls over a real WebSocket: a real server (uvicorn), the real voice runner (piper,
Whisper tiny.en, Silero VAD; one per module, shared by the apps as an external runner), PCM
frames of espeak-ng speaking, and the fake upstream as the model (predictable replies).

The runner-crash test kills a runner of its own."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from cognitia.app import create_app
from cognitia.billing.bans import user_subject
from cognitia.config import (
    BanSettings,
    BillingSettings,
    Settings,
    TranscriptionSettings,
    VoiceSettings,
)
from cognitia.llm.runner.supervisor import ChildRunner
from cognitia.models.plan import Plan
from cognitia.runtime import Runtime
from cognitia.voice import catalogue, transcribers
from cognitia.voice.wavfile import parse
from tests.chats.conftest import fake_model_settings
from tests.chats.helpers import create_character, create_chat, messages
from tests.support.calls import CallClient, quiet, spoken_pcm, voice_runner
from tests.support.factories import bearer, create_user, login
from tests.support.fake_transcription import FakeTranscription
from tests.support.fake_upstream import FakeUpstream
from tests.support.live import live_server
from tests.support.spoken import ESPEAK

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.slow,
    pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed"),
    pytest.mark.skipif(
        not transcribers.local_installed(TranscriptionSettings())
        or catalogue.JOE_VOICE not in catalogue.local_piper_voices(VoiceSettings()),
        reason="the local voice (piper, faster-whisper and their models) is not installed",
    ),
]

QUESTION = "Please remember to buy fresh bread and milk tomorrow morning."
KEY_WORDS = ("remember", "milk", "tomorrow")
REPLY = "Of course. I will remember the bread."
LONG_REPLY = " ".join(f"This is sentence number {n} of a long story." for n in range(1, 30))
NOON = datetime(2026, 12, 6, 12, tzinfo=UTC)
# Enough silence after the speech for the runner's endpointing (voice.call.silence_ms).
PAUSE = 1.0


@pytest.fixture(scope="module")
def runner() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    with voice_runner() as served:
        yield served


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The person's turn: espeak-ng's sentence, then a pause that ends it."""
    return spoken_pcm(tmp_path_factory.mktemp("call"), QUESTION) + quiet(PAUSE)


def call_settings(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, url: str, **call: Any
) -> Settings:
    voice = {"runner": {"mode": "external", "url": url}, "call": call}
    return fake_model_settings(database_url, tmp_path, upstream, voice=voice)


@pytest.fixture
def settings(
    database_url: str,
    tmp_path: Path,
    upstream: FakeUpstream,
    runner: tuple[str, subprocess.Popen[bytes]],
) -> Settings:
    return call_settings(database_url, tmp_path, upstream, runner[0])


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient, Runtime]]:
    app = create_app(settings)
    async with live_server(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield url, http, app.state.runtime


async def person_with_chat(http: httpx.AsyncClient, runtime: Runtime) -> tuple[str, str]:
    """A person's access token and their chat with Aria."""
    user = await create_user(runtime)
    token = (await login(http, user.email))["access_token"]
    aria = await create_character(runtime, owner=user)
    chat = await create_chat(http, bearer(token), aria.id)
    return token, chat["id"]


@asynccontextmanager
async def calling(url: str, chat_id: str, token: str) -> AsyncIterator[CallClient]:
    """A call started as a browser starts it (the token in the start frame), once ready."""
    call = await CallClient.open(url, chat_id)
    await call.start(token=token)
    assert (await call.next())["type"] == "ready"
    try:
        yield call
    finally:
        await call.close()


async def test_a_spoken_question_is_stored_and_answered_with_captions_and_audio(
    settings: Settings, upstream: FakeUpstream, speech: bytes
) -> None:
    upstream.script("rp-model", reply=REPLY)
    async with serving(settings) as (url, http, runtime):
        token, chat_id = await person_with_chat(http, runtime)
        async with calling(url, chat_id, token) as call:
            await call.speak(speech)
            done = await asyncio.wait_for(call.until("reply.done"), 60)
            stored = await messages(http, chat_id, bearer(token))

    kinds = [f["type"] for f in call.seen]
    assert kinds[:5] == ["ready", "speech.started", "speech.stopped", "transcript", "reply.started"]
    transcript = call.of("transcript")[0]
    assert all(word in transcript["text"].lower() for word in KEY_WORDS), transcript
    captions = call.of("caption")
    assert [c["text"] for c in captions] == ["Of course.", "I will remember the bread."]
    assert [c["index"] for c in captions] == [0, 1]
    assert {c["message_id"] for c in captions} == {done["message_id"]}
    assert {c["sample_rate"] for c in captions} == {22050}  # piper's joe
    assert [len(a) for a in call.audio] == [c["bytes"] for c in captions]
    assert all(len(a) > 22050 * 2 * 0.3 and len(a) % 2 == 0 for a in call.audio)
    assert done["text"] == REPLY
    assert [(m["author_type"], m["content"], m["status"]) for m in stored] == [
        ("user", transcript["text"], "complete"),
        ("character", REPLY, "complete"),
    ]
    assert stored[0]["id"] == transcript["message_id"]


async def test_in_a_group_each_character_answers_in_turn_with_its_own_captions(
    settings: Settings, upstream: FakeUpstream, speech: bytes
) -> None:
    upstream.script("alpha-model", reply="I am Alpha. Hello.")
    upstream.script("beta-model", reply="I am Beta.")
    async with serving(settings) as (url, http, runtime):
        user = await create_user(runtime)
        token = (await login(http, user.email))["access_token"]
        alpha = await create_character(runtime, owner=user, name="Alpha", model="alpha")
        beta = await create_character(runtime, owner=user, name="Beta", model="beta")
        chat = await create_chat(http, bearer(token), alpha.id, beta.id, strategy="list")
        async with calling(url, chat["id"], token) as call:
            await call.speak(speech)
            first = await asyncio.wait_for(call.until("reply.done"), 60)
            second = await asyncio.wait_for(call.until("reply.done"), 60)

    started = [(f["character_name"], f["message_id"]) for f in call.of("reply.started")]
    assert started == [("Alpha", first["message_id"]), ("Beta", second["message_id"])]
    spoken = [(c["message_id"], c["index"], c["text"]) for c in call.of("caption")]
    assert spoken == [
        (first["message_id"], 0, "I am Alpha."),
        (first["message_id"], 1, "Hello."),
        (second["message_id"], 0, "I am Beta."),
    ]
    assert len(call.audio) == 3


async def test_speaking_over_a_reply_stops_it_and_keeps_what_was_said(
    settings: Settings, upstream: FakeUpstream, speech: bytes
) -> None:
    upstream.script("rp-model", reply=LONG_REPLY, token_delay=0.05)
    upstream.script("rp-model", reply=REPLY)
    async with serving(settings) as (url, http, runtime):
        token, chat_id = await person_with_chat(http, runtime)
        async with calling(url, chat_id, token) as call:
            await call.speak(speech)
            first = await asyncio.wait_for(call.until("caption"), 60)
            await call.speak(speech)  # barge-in
            stopped = await asyncio.wait_for(call.until("interrupted"), 60)
            after = [f["type"] for f in call.seen[call.seen.index(first) :]]
            await asyncio.wait_for(call.until("reply.done"), 60)
            stored = await messages(http, chat_id, bearer(token))

    assert "speech.started" in after[: after.index("interrupted")]
    assert stopped["message_id"] == first["message_id"]
    assert stopped["text"]
    assert LONG_REPLY.startswith(stopped["text"].strip())
    assert len(stopped["text"]) < len(LONG_REPLY)
    kept = next(m for m in stored if m["id"] == stopped["message_id"])
    assert (kept["status"], kept["content"]) == ("stopped", stopped["text"])
    # The second question was heard and answered after the stopped reply.
    assert [m["author_type"] for m in stored] == ["user", "character", "user", "character"]
    assert stored[-1]["content"] == REPLY


async def test_the_stop_button_interrupts_the_reply_without_speech(
    settings: Settings, upstream: FakeUpstream, speech: bytes
) -> None:
    upstream.script("rp-model", reply=LONG_REPLY, token_delay=0.05)
    async with serving(settings) as (url, http, runtime):
        token, chat_id = await person_with_chat(http, runtime)
        async with calling(url, chat_id, token) as call:
            await call.speak(speech)
            first = await asyncio.wait_for(call.until("caption"), 60)
            await call.send({"type": "interrupt"})
            stopped = await asyncio.wait_for(call.until("interrupted"), 60)
        stored = await messages(http, chat_id, bearer(token))

    assert [f["type"] for f in call.seen].count("speech.started") == 1  # the question's only
    assert stopped["message_id"] == first["message_id"]
    assert (stored[-1]["status"], stored[-1]["content"]) == ("stopped", stopped["text"])


async def test_a_model_failure_is_an_error_and_a_spoken_apology_and_the_call_goes_on(
    settings: Settings, upstream: FakeUpstream, speech: bytes
) -> None:
    upstream.script("rp-model", reply="Well. Let me think about that for a while.", fail_after=3)
    upstream.script("rp-model", reply=REPLY)
    async with serving(settings) as (url, http, runtime):
        token, chat_id = await person_with_chat(http, runtime)
        async with calling(url, chat_id, token) as call:
            await call.speak(speech)
            failed = await asyncio.wait_for(call.until("error"), 60)
            apology = await asyncio.wait_for(call.until("caption"), 60)
            while apology["text"] == "Well.":  # the clause spoken before the failure
                apology = await asyncio.wait_for(call.until("caption"), 60)
            await call.speak(speech)
            done = await asyncio.wait_for(call.until("reply.done"), 60)

    assert failed["code"] == "upstream_failed"
    assert "say that again" in apology["text"]
    assert apology["bytes"] > 0
    assert apology["sample_rate"] == 22050
    assert done["text"] == REPLY


async def test_a_mute_mid_utterance_drops_it_and_a_hangup_closes_1000(
    settings: Settings, speech: bytes
) -> None:
    half = len(speech) // 4 * 2  # whole samples
    async with serving(settings) as (url, http, runtime):
        token, chat_id = await person_with_chat(http, runtime)
        async with calling(url, chat_id, token) as call:
            await call.speak(speech[:half])
            await asyncio.wait_for(call.until("speech.started"), 60)
            await call.send({"type": "mute"})
            await call.speak(speech[half:])  # ignored while muted
            await call.send({"type": "unmute"})
            await call.speak(quiet(PAUSE))
            await call.send({"type": "hangup"})
            code, frames = await asyncio.wait_for(call.closed(), 60)
        stored = await messages(http, chat_id, bearer(token))

    assert code == 1000
    assert [f["type"] for f in call.seen] == ["ready", "speech.started"]
    assert frames == []
    assert stored == []


async def test_a_hosted_transcriber_hears_the_call_and_a_failure_is_survived(
    database_url: str,
    tmp_path: Path,
    upstream: FakeUpstream,
    runner: tuple[str, subprocess.Popen[bytes]],
    speech: bytes,
) -> None:
    upstream.script("rp-model", reply=REPLY)
    settings = call_settings(database_url, tmp_path, upstream, runner[0])
    with FakeTranscription() as hosted:
        hosted.status = 503
        transcription = {"engine": "openai", "base_url": hosted.url, "model": "whisper-1"}
        settings.voice.transcription = TranscriptionSettings.model_validate(transcription)
        async with serving(settings) as (url, http, runtime):
            token, chat_id = await person_with_chat(http, runtime)
            call = await CallClient.open(url, chat_id)
            await call.start(token=token, language="en")
            await call.until("ready")
            await call.speak(speech)
            failed = await asyncio.wait_for(call.until("error"), 60)
            hosted.status = 200
            await call.speak(speech)
            transcript = await asyncio.wait_for(call.until("transcript"), 60)
            done = await asyncio.wait_for(call.until("reply.done"), 60)
            await call.close()
            stored = await messages(http, chat_id, bearer(token))

    assert failed["code"] == "voice_unavailable"
    assert transcript["text"] == "Hello from the stand-in."
    assert done["text"] == REPLY
    assert [m["content"] for m in stored] == ["Hello from the stand-in.", REPLY]
    sent = hosted.requests[-1]
    assert (sent.fields["model"], sent.fields["language"]) == ("whisper-1", "en")
    wav = parse(sent.audio)
    assert wav is not None
    assert (wav.sample_rate, wav.channels, wav.sample_width) == (16000, 1, 2)
    assert wav.duration_s > 2.0  # the sentence, as heard by the runner's VAD


@pytest.mark.parametrize(
    ("start", "error"),
    [({}, "not_authenticated"), ({"token": "not-a-token"}, "invalid_token")],
)
async def test_a_call_without_valid_credentials_is_closed_4401(
    settings: Settings, start: dict[str, str], error: str
) -> None:
    async with serving(settings) as (url, http, runtime):
        _, chat_id = await person_with_chat(http, runtime)
        call = await CallClient.open(url, chat_id)
        await call.start(**start)
        code, frames = await call.closed()

    assert code == 4401
    assert [(f["type"], f["code"]) for f in frames] == [("error", error)]


async def test_a_call_without_a_start_frame_in_time_is_closed_4401(
    database_url: str,
    tmp_path: Path,
    upstream: FakeUpstream,
    runner: tuple[str, subprocess.Popen[bytes]],
) -> None:
    settings = call_settings(database_url, tmp_path, upstream, runner[0], start_timeout_seconds=0.2)
    async with serving(settings) as (url, http, runtime):
        _, chat_id = await person_with_chat(http, runtime)
        silent = await CallClient.open(url, chat_id)
        code, frames = await asyncio.wait_for(silent.closed(), 60)

    assert code == 4401
    assert [(f["type"], f["code"]) for f in frames] == [("error", "not_authenticated")]


async def test_another_persons_chat_is_closed_4404_and_a_header_token_works(
    settings: Settings, upstream: FakeUpstream
) -> None:
    async with serving(settings) as (url, http, runtime):
        _, chat_id = await person_with_chat(http, runtime)
        stranger, _ = await person_with_chat(http, runtime)
        refused = await CallClient.open(url, chat_id, Authorization=f"Bearer {stranger}")
        await refused.start()
        code, frames = await refused.closed()

    assert code == 4404
    assert frames == [{"type": "error", "code": "chat_not_found", "detail": "No such chat."}]


async def test_an_ended_coaching_sessions_chat_is_closed_4409(
    settings: Settings, upstream: FakeUpstream
) -> None:
    async with serving(settings) as (url, http, runtime):
        user = await create_user(runtime)
        token = (await login(http, user.email))["access_token"]
        coach = await create_character(runtime, owner=user)
        started = await http.post(
            "/api/v2/sessions", json={"character_id": coach.id}, headers=bearer(token)
        )
        ended = await http.post(
            f"/api/v2/sessions/{started.json()['id']}/end",
            json={"generate_notes": False},
            headers=bearer(token),
        )
        assert ended.status_code == 200, ended.text
        refused = await CallClient.open(url, started.json()["chat_id"])
        await refused.start(token=token)
        code, frames = await refused.closed()

    assert code == 4409
    assert [(f["type"], f["code"]) for f in frames] == [("error", "chat_closed")]


async def test_a_person_removed_from_the_chat_mid_call_is_closed_4404_at_their_next_turn(
    settings: Settings, upstream: FakeUpstream, speech: bytes
) -> None:
    async with serving(settings) as (url, http, runtime):
        owner, guest = await create_user(runtime), await create_user(runtime)
        owner_token = (await login(http, owner.email))["access_token"]
        guest_token = (await login(http, guest.email))["access_token"]
        aria = await create_character(runtime, owner=owner)
        chat = await create_chat(http, bearer(owner_token), aria.id, participant_ids=[guest.id])
        call = await CallClient.open(url, chat["id"])
        await call.start(token=guest_token)
        await call.until("ready")
        removed = await http.delete(
            f"/api/v2/chats/{chat['id']}/participants/{guest.id}", headers=bearer(owner_token)
        )
        assert removed.status_code == 204
        await call.speak(speech)
        code, frames = await asyncio.wait_for(call.closed(), 60)

    assert code == 4404
    assert frames[-1] == {"type": "error", "code": "chat_not_found", "detail": "No such chat."}


async def test_more_calls_than_allowed_are_closed_4429(
    database_url: str,
    tmp_path: Path,
    upstream: FakeUpstream,
    runner: tuple[str, subprocess.Popen[bytes]],
) -> None:
    settings = call_settings(database_url, tmp_path, upstream, runner[0], max_calls_per_user=1)
    async with serving(settings) as (url, http, runtime):
        token, chat_id = await person_with_chat(http, runtime)
        async with calling(url, chat_id, token):
            second = await CallClient.open(url, chat_id)
            await second.start(token=token)
            code, frames = await second.closed()
        # Once the first call has ended, a call is admitted again.
        async with calling(url, chat_id, token) as third:
            await third.send({"type": "hangup"})
            hung_up, _ = await third.closed()

    assert code == 4429
    assert frames[0]["code"] == "too_many_calls"
    assert hung_up == 1000


@pytest.mark.parametrize(
    ("frame", "started"),
    [
        (b"\x00\x01\x02", True),  # an odd length: not whole 16-bit samples
        ('{"type": "dance"}', True),
        ("not json", True),
        (b"\x00\x00", False),  # audio before the start frame
        ('{"type": "start", "language": "english"}', False),
    ],
)
async def test_bad_frames_close_the_call_4422(
    settings: Settings, frame: bytes | str, started: bool
) -> None:
    async with serving(settings) as (url, http, runtime):
        token, chat_id = await person_with_chat(http, runtime)
        call = await CallClient.open(url, chat_id)
        if started:
            await call.start(token=token)
            assert (await call.next())["type"] == "ready"
        await call.connection.send(frame)
        code, frames = await call.closed()

    assert code == 4422
    assert frames[-1]["type"] == "error"


async def test_a_runner_crash_mid_reply_ends_the_call_cleanly(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, speech: bytes
) -> None:
    upstream.script("rp-model", reply=LONG_REPLY, token_delay=0.02)
    with voice_runner() as (runner_url, runner):  # a runner of its own, to kill
        settings = call_settings(database_url, tmp_path, upstream, runner_url)
        async with serving(settings) as (url, http, runtime):
            token, chat_id = await person_with_chat(http, runtime)
            call = await CallClient.open(url, chat_id)
            await call.start(token=token)
            await call.speak(speech)
            await asyncio.wait_for(call.until("caption"), 60)
            os.kill(runner.pid, signal.SIGKILL)
            code, frames = await asyncio.wait_for(call.closed(), 60)

    errors = [f for f in frames if f["type"] == "error"]
    assert errors
    assert errors[-1]["code"] == "voice_unavailable"
    assert code == 1011


async def test_a_call_survives_its_child_runner_crashing_mid_reply(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, speech: bytes
) -> None:
    upstream.script("rp-model", reply=LONG_REPLY, token_delay=0.02)
    upstream.script("rp-model", reply=REPLY)
    fast = {"health_interval_seconds": 0.2, "restart_backoff_seconds": 0.1}
    voice = {"runner": {"mode": "child", "start_at_boot": True, **fast}}
    settings = fake_model_settings(database_url, tmp_path, upstream, voice=voice)
    async with serving(settings) as (url, http, runtime):
        child = runtime.voices.runner
        assert isinstance(child, ChildRunner)
        await child.ready(120)
        token, chat_id = await person_with_chat(http, runtime)
        async with calling(url, chat_id, token) as call:
            await call.speak(speech)
            first = await asyncio.wait_for(call.until("caption"), 60)
            assert child.process is not None
            os.kill(child.process.pid, signal.SIGKILL)
            while "listening again" not in (await call.until("error"))["detail"]:
                pass
            await call.speak(speech)  # heard once the restarted runner listens
            done = await asyncio.wait_for(call.until("reply.done"), 120)
            while done["message_id"] == first["message_id"]:  # the first reply, as text
                done = await asyncio.wait_for(call.until("reply.done"), 120)

    assert done["text"] == REPLY
    assert child.restarts == 1
    # The crash either cost the first reply its voice (the rest came as text-only captions)
    # or only a wait (a sentence asked for during the restart was spoken once the runner
    # was back): which one depends on what was in flight. Either way each sentence came
    # once, in order, and once the voice failed the reply stayed text.
    captions = [c for c in call.of("caption") if c["message_id"] == first["message_id"]]
    assert [c["index"] for c in captions] == sorted({c["index"] for c in captions})
    spoken = [c["bytes"] > 0 for c in captions]
    assert spoken == sorted(spoken, reverse=True)


async def test_a_plan_without_live_calls_is_closed_4403(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, settings: Settings
) -> None:
    on_free = settings.model_copy(update={"billing": BillingSettings(default_plan="free")})
    async with serving(on_free) as (url, http, runtime):
        token, chat_id = await person_with_chat(http, runtime)
        refused = await CallClient.open(url, chat_id)
        await refused.start(token=token)
        code, frames = await refused.closed()

    assert code == 4403
    assert [(f["type"], f["code"]) for f in frames] == [("error", "feature_not_in_plan")]
    # What the HTTP refusal carries: the feature, and the plan that has it.
    assert (frames[0]["feature"], frames[0]["upgrade_to"]) == ("live_calls", "pro")


async def test_a_turn_over_the_days_messages_is_an_error_frame_with_the_http_fields(
    settings: Settings, upstream: FakeUpstream, speech: bytes
) -> None:
    """The call goes on; the frame says which limit, when it resets, and what plan allows
    more, as the 429 of a message would."""
    on_pro = settings.model_copy(update={"billing": BillingSettings(default_plan="pro")})
    async with serving(on_pro) as (url, http, runtime):
        runtime.quotas.clock = lambda: NOON
        async with runtime.db.unit_of_work() as session:
            await session.execute(update(Plan).where(Plan.id == "pro").values(messages_per_day=1))
            await session.execute(
                update(Plan).where(Plan.id.in_(["free", "basic"])).values(public=False)
            )
        token, chat_id = await person_with_chat(http, runtime)
        me = (await http.get("/api/v2/auth/me", headers=bearer(token))).json()
        assert await runtime.quotas.counters.take(me["id"], "messages", "2026-12-06", limit=1)
        async with calling(url, chat_id, token) as call:
            await call.speak(speech)
            refused = await asyncio.wait_for(call.until("error"), 60)

    assert refused["code"] == "quota_exceeded"
    assert refused["limit"] == "messages_per_day"
    assert refused["reset_at"] == "2026-12-07T00:00:00+00:00"
    assert refused["retry_after"] == 12 * 3600
    assert refused["upgrade_to"] == "enterprise"


async def test_a_banned_person_is_closed_4403_before_the_call_starts(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, settings: Settings
) -> None:
    bans = BillingSettings(bans=BanSettings(threshold=1, duration_seconds=600))
    async with serving(settings.model_copy(update={"billing": bans})) as (url, http, runtime):
        token, chat_id = await person_with_chat(http, runtime)
        me = (await http.get("/api/v2/auth/me", headers=bearer(token))).json()
        await runtime.bans.violation(user_subject(me["id"]))  # as a 429 over HTTP adds
        refused = await CallClient.open(url, chat_id)
        await refused.start(token=token)
        code, frames = await refused.closed()

    assert code == 4403
    assert [(f["type"], f["code"]) for f in frames] == [("error", "temporarily_banned")]


async def test_a_calls_turn_is_one_of_the_days_messages_and_its_audio_is_metered(
    settings: Settings, upstream: FakeUpstream, speech: bytes
) -> None:
    upstream.script("rp-model", reply=REPLY)
    async with serving(settings) as (url, http, runtime):
        token, chat_id = await person_with_chat(http, runtime)
        async with calling(url, chat_id, token) as call:
            await call.speak(speech)
            await asyncio.wait_for(call.until("reply.done"), 60)
        await runtime.meter.drain()  # the last sentence's write may still be under way
        plan_usage = (await http.get("/api/v2/subscription/usage", headers=bearer(token))).json()
        audio = (await http.get("/api/v2/voice/usage", headers=bearer(token))).json()

    assert plan_usage["today"]["messages"]["used"] == 1
    # The utterance (up to the silence that ended it), and the reply as spoken (22.05 kHz).
    assert 0 < audio["total_transcribed_s"] <= len(speech) / 32_000
    spoken = sum(len(a) for a in call.audio) / 44_100
    assert audio["total_synthesized_s"] == pytest.approx(spoken, rel=0.05)
