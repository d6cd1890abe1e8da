"""The espeak-ng adapter against the real executable (Debian's espeak-ng)."""

from __future__ import annotations

import shutil

import pytest

from cognitia.voice.adapters.espeak import EspeakSynthesizer
from cognitia.voice.errors import UnsupportedFormat, VoiceUnavailable
from cognitia.voice.ports import VoiceInfo
from cognitia.voice.wavfile import parse

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"),
]
VOICES = [VoiceInfo("espeak", "espeak", "en")]
SENTENCE = "The quick brown fox jumps over the lazy dog."


def espeak(command: str = "espeak-ng") -> EspeakSynthesizer:
    return EspeakSynthesizer(VOICES, command=command, timeout_seconds=30)


async def test_speaks_a_wav_whose_header_tells_the_truth() -> None:
    audio = await espeak().synthesize(SENTENCE, voice="en-us")

    info = parse(audio.data)
    assert info is not None
    assert audio.media_type == "audio/wav"
    assert info.sample_rate == audio.sample_rate == 22050
    # The pipe's 0x7fffffff sizes were rewritten: the header's size is the file's.
    assert int.from_bytes(audio.data[4:8], "little") == len(audio.data) - 8
    assert audio.duration_s is not None
    assert 1.0 < audio.duration_s < 10.0
    assert any(info.samples)  # not silence


async def test_speed_shortens_the_audio() -> None:
    normal = await espeak().synthesize(SENTENCE, voice="en-us", speed=1.0)
    fast = await espeak().synthesize(SENTENCE, voice="en-us", speed=2.0)

    assert normal.duration_s is not None
    assert fast.duration_s is not None
    assert fast.duration_s < normal.duration_s * 0.75


async def test_raw_pcm_is_the_wav_without_its_header() -> None:
    audio = await espeak().synthesize("Hello.", voice="en-us", audio_format="pcm")

    assert audio.media_type == "audio/L16"
    assert not audio.data.startswith(b"RIFF")
    assert audio.duration_s == pytest.approx(len(audio.data) / 2 / 22050)


async def test_text_that_looks_like_an_option_is_spoken_not_obeyed() -> None:
    audio = await espeak().synthesize("--version -w /tmp/x.wav", voice="en-us")

    assert audio.duration_s is not None
    assert audio.duration_s > 0.5


@pytest.mark.parametrize("text", ["\x00\x01 hello", "\u202ereversed", "😀", "...", "中文"])
async def test_hostile_text_is_spoken_or_silent(text: str) -> None:
    audio = await espeak().synthesize(text, voice="en-us")

    assert parse(audio.data) is not None


async def test_a_format_espeak_cannot_write_is_refused() -> None:
    with pytest.raises(UnsupportedFormat):
        await espeak().synthesize("Hello.", voice="en-us", audio_format="mp3")


async def test_an_unknown_espeak_voice_is_a_clear_error() -> None:
    with pytest.raises(VoiceUnavailable, match="espeak-ng"):
        await espeak().synthesize("Hello.", voice="xx-nonexistent-voice")


async def test_a_missing_executable_lists_no_voices_and_is_unavailable() -> None:
    missing = espeak("/nonexistent/espeak-ng")

    assert missing.voices() == []
    with pytest.raises(VoiceUnavailable, match="cannot be started"):
        await missing.synthesize("Hello.", voice="en-us")
