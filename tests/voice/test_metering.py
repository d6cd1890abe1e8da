"""The audio meter: seconds synthesised and transcribed per user and UTC day, recorded by
POST /api/v2/voice/speech and /voice/transcriptions (stand-in servers speak and listen),
read back from GET /api/v2/voice/usage and the admins' /api/v2/admin/voice/usage. On
SQLite and PostgreSQL, concurrent increments included."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from cognitia.config import Settings
from cognitia.kit.clock import utcnow
from cognitia.voice import repository
from cognitia.voice.metering import CHARS_PER_SECOND, heard_seconds, spoken_seconds
from cognitia.voice.ports import Audio, Transcript
from cognitia.voice.wavfile import parse
from tests.conftest import make_settings
from tests.support.factories import create_user, runtime_of, user_with_token
from tests.support.fake_speech import FakeSpeech
from tests.support.fake_transcription import FakeTranscription

pytestmark = pytest.mark.asyncio
SPEECH = "/api/v2/voice/speech"
USAGE = "/api/v2/voice/usage"
ADMIN_USAGE = "/api/v2/admin/voice/usage"
NO_PIPER = {"engine": "piper", "voice": "en_US-nobody-medium", "model": "/nonexistent.onnx"}
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "  # the transcription stand-in does not listen


@pytest.fixture(scope="module")
def speech_server() -> Iterator[FakeSpeech]:
    with FakeSpeech() as fake:
        yield fake


@pytest.fixture(scope="module")
def transcription_server() -> Iterator[FakeTranscription]:
    with FakeTranscription() as fake:
        yield fake


@pytest.fixture
def settings(
    database_url: str,
    tmp_path: Path,
    speech_server: FakeSpeech,
    transcription_server: FakeTranscription,
) -> Settings:
    transcription_server.reset()
    nova = {"engine": "openai", "voice": "nova-id", "model": "tts-1", "base_url": speech_server.url}
    transcription = {"engine": "openai", "base_url": transcription_server.url}
    voice = {
        "default_voice": "nova",
        "voices": {"joe": NO_PIPER, "nova": nova},
        "espeak_command": "/nonexistent/espeak-ng",
        "transcription": transcription,
    }
    return make_settings(database_url, tmp_path, voice=voice)


async def test_concurrent_increments_add_up_in_one_row(app: FastAPI) -> None:
    runtime = runtime_of(app)
    user = await create_user(runtime)

    await asyncio.gather(
        *(runtime.meter.record(user.id, synthesized_s=0.5) for _ in range(20)),
        *(runtime.meter.record(user.id, transcribed_s=0.25) for _ in range(20)),
    )
    report = await runtime.meter.report(days=1, user_id=user.id)

    assert [(r.day, r.synthesized_s, r.transcribed_s) for r in report.rows] == [
        (utcnow().date(), 10.0, 5.0)
    ]


async def test_speech_is_metered_for_the_caller_by_its_duration(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user, headers = await user_with_token(runtime_of(app), client)
    _, other = await user_with_token(runtime_of(app), client)

    spoken = await client.post(
        SPEECH, json={"text": "Hello there.", "response_format": "json"}, headers=headers
    )
    usage = await client.get(USAGE, headers=headers)
    others = await client.get(USAGE, headers=other)

    assert spoken.status_code == 200, spoken.text
    info = parse(base64.b64decode(spoken.json()["audio_base64"]))
    assert info is not None
    assert usage.status_code == 200, usage.text
    body = usage.json()
    assert body["total_synthesized_s"] == pytest.approx(info.duration_s, abs=0.001)
    assert body["total_transcribed_s"] == 0
    assert [row["user_id"] for row in body["rows"]] == [user.id]
    assert body["rows"][0]["day"] == utcnow().date().isoformat()
    assert others.json()["rows"] == []


async def test_audio_without_a_duration_is_metered_by_its_text(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The stand-in's bytes as "mp3" carry no duration the adapter can read."""
    _, headers = await user_with_token(runtime_of(app), client)
    text = "Thirty characters of speech..."

    spoken = await client.post(
        SPEECH, json={"text": text, "response_format": "mp3"}, headers=headers
    )
    usage = await client.get(USAGE, headers=headers)

    assert spoken.status_code == 200, spoken.text
    expected = round(len(text) / CHARS_PER_SECOND, 3)
    assert usage.json()["total_synthesized_s"] == pytest.approx(expected)


async def test_a_transcription_is_metered_by_the_audio_heard(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, headers = await user_with_token(runtime_of(app), client)

    heard = await client.post(
        "/api/v2/voice/transcriptions",
        files={"file": ("memo.webm", WAV, "audio/webm")},
        headers=headers,
    )
    usage = await client.get(USAGE, headers=headers)

    assert heard.status_code == 200, heard.text
    assert usage.json()["total_transcribed_s"] == heard.json()["duration_s"] == 2.5
    assert usage.json()["total_synthesized_s"] == 0


async def test_a_refused_request_meters_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(runtime_of(app), client)

    refused = await client.post(SPEECH, json={"text": "Hi.", "voice": "nobody"}, headers=headers)
    usage = await client.get(USAGE, headers=headers)

    assert refused.status_code == 422
    assert usage.json()["rows"] == []


async def test_admins_see_everyones_usage_and_others_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    runtime = runtime_of(app)
    alice, alice_headers = await user_with_token(runtime, client)
    bob = await create_user(runtime)
    _, admin = await user_with_token(runtime, client, admin=True)
    await runtime.meter.record(alice.id, synthesized_s=1.5)
    await runtime.meter.record(bob.id, transcribed_s=2.0)

    everyone = await client.get(ADMIN_USAGE, headers=admin)
    only_bob = await client.get(ADMIN_USAGE, params={"user_id": bob.id}, headers=admin)
    refused = await client.get(ADMIN_USAGE, headers=alice_headers)

    assert everyone.status_code == 200, everyone.text
    rows = {row["user_id"]: row for row in everyone.json()["rows"]}
    assert (rows[alice.id]["synthesized_s"], rows[bob.id]["transcribed_s"]) == (1.5, 2.0)
    assert [row["user_id"] for row in only_bob.json()["rows"]] == [bob.id]
    assert only_bob.json()["total_transcribed_s"] == 2.0
    assert refused.status_code == 403


async def test_the_report_covers_the_days_asked_for(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    runtime = runtime_of(app)
    user, headers = await user_with_token(runtime, client)
    today = utcnow().date()
    async with runtime.db.unit_of_work() as session:
        for back in (0, 6, 7):
            day = today - timedelta(days=back)
            await repository.add_audio(
                session, user_id=user.id, day=day, synthesized_s=1.0, transcribed_s=0.0
            )

    week = await client.get(USAGE, params={"days": 7}, headers=headers)
    bad = await client.get(USAGE, params={"days": 0}, headers=headers)

    assert [row["day"] for row in week.json()["rows"]] == [
        (today - timedelta(days=6)).isoformat(),
        today.isoformat(),
    ]
    assert week.json()["total_synthesized_s"] == 2.0
    assert bad.status_code == 422


async def test_spoken_seconds_prefers_the_audios_duration_and_estimates_at_speed() -> None:
    timed = Audio(b"", "audio/wav", 22050, 1.25)
    untimed = Audio(b"", "audio/mpeg", None, None)

    assert spoken_seconds(timed, "whatever the text") == 1.25
    assert spoken_seconds(untimed, "x" * 30) == pytest.approx(2.0)
    assert spoken_seconds(untimed, "x" * 30, speed=2.0) == pytest.approx(1.0)


async def test_heard_seconds_prefers_the_decoded_duration_and_estimates_from_the_text() -> None:
    timed = Transcript("Hello there.", "en", 2.5)
    untimed = Transcript("x" * 45, "", 0.0)  # a server that answered only {"text"}

    assert heard_seconds(timed) == 2.5
    assert heard_seconds(untimed) == pytest.approx(3.0)
