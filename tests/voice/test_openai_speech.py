"""The OpenAI-compatible speech adapter against a stand-in server speaking OpenAI's
/v1/audio/speech over a real socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cognitia.voice.adapters.openai_speech import OpenAISpeech
from cognitia.voice.errors import SpeechRejected, VoiceUnavailable
from cognitia.voice.ports import VoiceInfo
from cognitia.voice.wavfile import parse
from tests.support.fake_speech import SAMPLE_RATE, FakeSpeech
from tests.support.net import free_port

pytestmark = pytest.mark.asyncio
VOICES = [VoiceInfo("nova", "openai", "en")]


@pytest.fixture(scope="module")
def speech() -> Iterator[FakeSpeech]:
    with FakeSpeech() as fake:
        yield fake


@pytest.fixture
def server(speech: FakeSpeech) -> FakeSpeech:
    speech.status = 200
    speech.released.set()
    speech.requests.clear()
    speech.headers.clear()
    return speech


def client(base_url: str, **options: object) -> OpenAISpeech:
    return OpenAISpeech(VOICES, base_url=base_url, model="tts-1", **options)  # type: ignore[arg-type]


async def test_sends_openais_body_and_key_and_reads_the_wav(server: FakeSpeech) -> None:
    speech = client(server.url, api_key="sk-test")
    audio = await speech.synthesize("Hello there.", voice="nova", speed=1.5)
    await speech.close()

    assert server.requests == [
        {
            "model": "tts-1",
            "input": "Hello there.",
            "voice": "nova",
            "speed": 1.5,
            "response_format": "wav",
        }
    ]
    assert server.headers[0]["authorization"] == "Bearer sk-test"
    assert audio.sample_rate == SAMPLE_RATE
    assert parse(audio.data) is not None
    assert audio.duration_s == pytest.approx(12 * 0.05 / 1.5, abs=0.01)


async def test_no_key_sends_no_authorization(server: FakeSpeech) -> None:
    speech = client(server.url)
    await speech.synthesize("Hi.", voice="nova", audio_format="pcm")
    await speech.close()

    assert "authorization" not in server.headers[0]


@pytest.mark.parametrize("status", [400, 404, 422])
async def test_a_refused_request_is_speech_rejected_with_the_servers_reason(
    server: FakeSpeech, status: int
) -> None:
    server.status = status
    speech = client(server.url)
    with pytest.raises(SpeechRejected, match=f"refused with {status}"):
        await speech.synthesize("Hi.", voice="nova")
    await speech.close()


@pytest.mark.parametrize("status", [401, 500, 503])
async def test_a_failing_server_is_voice_unavailable(server: FakeSpeech, status: int) -> None:
    server.status = status
    speech = client(server.url)
    with pytest.raises(VoiceUnavailable, match=str(status)):
        await speech.synthesize("Hi.", voice="nova")
    await speech.close()


async def test_a_server_that_is_not_there_is_voice_unavailable() -> None:
    speech = client(f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(VoiceUnavailable, match="cannot be reached"):
        await speech.synthesize("Hi.", voice="nova")
    await speech.close()


async def test_lists_its_voices(server: FakeSpeech) -> None:
    speech = client(server.url)
    assert speech.voices() == VOICES
    await speech.close()


async def test_a_server_that_hangs_is_voice_unavailable_after_the_timeout(
    server: FakeSpeech,
) -> None:
    server.released.clear()
    speech = client(server.url, timeout_seconds=0.5)
    try:
        with pytest.raises(VoiceUnavailable, match="took too long"):
            await speech.synthesize("Hi.", voice="nova")
    finally:
        server.released.set()
        await speech.close()
