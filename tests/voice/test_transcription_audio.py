"""Decoding uploads in the voice runner (runner/decode.py): every accepted format from real
speech, the signature allow-list, corrupt and hostile bytes, and the duration limit."""

from __future__ import annotations

import numpy as np
import pytest

from cognitia.voice.runner.decode import (
    SAMPLE_RATE,
    AudioTooLong,
    UndecodableAudio,
    container_of,
    decode,
)
from tests.support.spoken import ESPEAK, encode, pcm16k, silence, spoken_wav

pytestmark = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed")


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return spoken_wav(tmp_path_factory.mktemp("spoken"))


@pytest.fixture(scope="module")
def seconds(wav: bytes) -> float:
    return len(pcm16k(wav)) / SAMPLE_RATE


def test_espeaks_wav_decodes_to_16_khz_mono(wav: bytes, seconds: float) -> None:
    samples = decode(wav, max_seconds=60)

    assert samples.dtype == np.float32
    assert samples.ndim == 1
    assert len(samples) / SAMPLE_RATE == pytest.approx(seconds, abs=0.01)
    assert 0.1 < float(np.abs(samples).max()) <= 1.0  # speech, not silence


@pytest.mark.parametrize("fmt", ["webm", "ogg", "mp3"])
def test_browser_and_phone_formats_decode_to_the_same_length(
    wav: bytes, seconds: float, fmt: str
) -> None:
    data = encode(pcm16k(wav), fmt)

    samples = decode(data, max_seconds=60)

    # Codecs pad the start and end by a few milliseconds.
    assert len(samples) / SAMPLE_RATE == pytest.approx(seconds, abs=0.1)
    assert float(np.abs(samples).max()) > 0.1


@pytest.mark.parametrize(
    ("fmt", "container"), [("wav", "wav"), ("webm", "matroska"), ("ogg", "ogg"), ("mp3", "mp3")]
)
def test_the_container_is_read_from_the_signature(fmt: str, container: str) -> None:
    assert container_of(encode(silence(0.5), fmt)) == container


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, this is text",
        b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n",
        b"ffconcat version 1.0\nfile '/etc/passwd'\n",
        b"\x89PNG\r\n\x1a\n" + bytes(100),
        b"fLaC" + bytes(100),
    ],
    ids=["empty", "text", "hls-playlist", "concat-script", "png", "flac"],
)
def test_anything_but_the_four_formats_is_refused_before_ffmpeg_sees_it(data: bytes) -> None:
    assert container_of(data) is None
    with pytest.raises(UndecodableAudio, match="not a WAV, WebM, Ogg or MP3"):
        decode(data, max_seconds=60)


@pytest.mark.parametrize("fmt", ["wav", "webm", "ogg", "mp3"])
def test_corrupt_bytes_behind_a_good_signature_are_undecodable(wav: bytes, fmt: str) -> None:
    good = encode(pcm16k(wav), fmt)
    rng = np.random.default_rng(14)
    # Keep the signature, garble the rest: headers, frames and all.
    corrupt = good[:4] + rng.integers(0, 256, 4000, dtype=np.uint8).tobytes()

    with pytest.raises(UndecodableAudio):
        decode(corrupt, max_seconds=60)


def test_a_truncated_wav_header_is_undecodable(wav: bytes) -> None:
    with pytest.raises(UndecodableAudio):
        decode(wav[:40], max_seconds=60)


@pytest.mark.parametrize("fmt", ["wav", "ogg"])
def test_audio_past_the_limit_is_too_long(fmt: str) -> None:
    data = encode(silence(3.0), fmt)

    assert len(decode(data, max_seconds=3.5)) > 0
    with pytest.raises(AudioTooLong, match="longer than 2 seconds"):
        decode(data, max_seconds=2)


def test_a_small_file_of_long_silence_stops_at_the_limit() -> None:
    # Ten minutes of Opus silence is small on the wire and large once decoded.
    data = encode(silence(600), "ogg")
    assert len(data) < 2 * 1024 * 1024

    with pytest.raises(AudioTooLong):
        decode(data, max_seconds=5)
