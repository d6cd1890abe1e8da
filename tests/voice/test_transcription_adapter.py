"""The OpenAI-compatible transcription adapter against a stand-in server speaking OpenAI's
/v1/audio/transcriptions over a real socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cognitia.voice.adapters.openai_transcription import OpenAITranscriber
from cognitia.voice.errors import AudioTooLarge, AudioTooLong, UnsupportedAudio, VoiceUnavailable
from cognitia.voice.ports import Segment
from tests.support.fake_transcription import FakeTranscription
from tests.support.net import free_port

pytestmark = pytest.mark.asyncio
AUDIO = b"OggS-not-really-audio: the stand-in does not listen"


@pytest.fixture(scope="module")
def standin() -> Iterator[FakeTranscription]:
    with FakeTranscription() as fake:
        yield fake


@pytest.fixture
def server(standin: FakeTranscription) -> FakeTranscription:
    standin.reset()
    return standin


def client(base_url: str, **options: object) -> OpenAITranscriber:
    return OpenAITranscriber(base_url=base_url, model="whisper-1", **options)  # type: ignore[arg-type]


async def test_uploads_the_file_as_openai_expects_and_reads_verbose_json(
    server: FakeTranscription,
) -> None:
    transcriber = client(server.url, api_key="sk-test")
    transcript = await transcriber.transcribe(AUDIO, filename="note.ogg", language="en")
    await transcriber.close()

    sent = server.requests[0]
    assert sent.fields == {
        "model": "whisper-1",
        "response_format": "verbose_json",
        "language": "en",
    }
    assert (sent.filename, sent.content_type, sent.audio) == ("note.ogg", "audio/ogg", AUDIO)
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert transcript.text == "Hello from the stand-in."
    assert (transcript.language, transcript.duration_s) == ("en", 2.5)
    assert transcript.segments == (
        Segment(0.0, 1.2, "Hello from"),
        Segment(1.2, 2.4, "the stand-in."),
    )


async def test_no_language_and_no_key_are_left_out(server: FakeTranscription) -> None:
    transcriber = client(server.url)
    await transcriber.transcribe(AUDIO, filename="")
    await transcriber.close()

    sent = server.requests[0]
    assert "language" not in sent.fields
    assert "authorization" not in sent.headers
    assert sent.content_type == "application/octet-stream"


async def test_a_server_that_sends_only_text_gives_a_transcript_without_timings(
    server: FakeTranscription,
) -> None:
    server.reply = {"text": "Just the words."}
    transcriber = client(server.url)
    transcript = await transcriber.transcribe(AUDIO, filename="a.wav", language="de")
    await transcriber.close()

    assert transcript.text == "Just the words."
    assert (transcript.language, transcript.duration_s, transcript.segments) == ("de", 0.0, ())


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (413, None, AudioTooLarge),
        (413, "audio_too_large", AudioTooLarge),
        (422, "audio_too_long", AudioTooLong),
        (422, "unsupported_audio", UnsupportedAudio),
        (400, None, UnsupportedAudio),
        (415, None, UnsupportedAudio),
    ],
)
async def test_a_refusal_becomes_our_error_with_the_servers_reason(
    server: FakeTranscription, status: int, code: str | None, error: type[Exception]
) -> None:
    server.status, server.error_code = status, code
    transcriber = client(server.url)
    with pytest.raises(error, match=f"refused with {status}"):
        await transcriber.transcribe(AUDIO, filename="a.mp3")
    await transcriber.close()


@pytest.mark.parametrize("status", [401, 429, 500, 503])
async def test_a_failing_server_is_voice_unavailable(
    server: FakeTranscription, status: int
) -> None:
    server.status = status
    transcriber = client(server.url)
    with pytest.raises(VoiceUnavailable, match=str(status)):
        await transcriber.transcribe(AUDIO, filename="a.mp3")
    await transcriber.close()


async def test_a_reply_without_text_is_voice_unavailable(server: FakeTranscription) -> None:
    server.reply = {"segments": []}
    transcriber = client(server.url)
    with pytest.raises(VoiceUnavailable, match="no text"):
        await transcriber.transcribe(AUDIO, filename="a.mp3")
    await transcriber.close()


async def test_a_server_that_is_not_there_is_voice_unavailable() -> None:
    transcriber = client(f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(VoiceUnavailable, match="cannot be reached"):
        await transcriber.transcribe(AUDIO, filename="a.wav")
    await transcriber.close()
