"""Silero VAD (voice/vad.py) on real speech: espeak-ng's sentence between stretches of
silence, fed in the uneven pieces a microphone delivers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cognitia.voice.vad import (
    CHUNK_SAMPLES,
    SileroVad,
    SpeechDetector,
    VadUnavailable,
    bundled_model_path,
)
from tests.support.spoken import ESPEAK, pcm16k, silence, spoken_wav

pytestmark = [
    pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed"),
    pytest.mark.skipif(bundled_model_path() is None, reason="faster-whisper is not installed"),
]
LEAD, TAIL = 1.5, 2.0  # seconds of silence before and after the sentence


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    samples = pcm16k(spoken_wav(tmp_path_factory.mktemp("vad")))
    # espeak-ng ends its file with a little silence of its own: trim it to the last sound.
    loud = np.flatnonzero(np.abs(samples) > 0.02)
    return samples[: loud[-1] + 1]


def test_finds_where_speech_starts_and_ends(speech: np.ndarray) -> None:
    stream = np.concatenate([silence(LEAD), speech, silence(TAIL)])
    detector = SpeechDetector(SileroVad(), min_silence_s=0.5)

    events = []
    for start in range(0, len(stream), 1000):  # not a multiple of the 512-sample chunk
        events.extend(detector.feed(stream[start : start + 1000]))

    spoken_for = len(speech) / 16_000
    assert [e.kind for e in events] == ["start", "end"]
    assert events[0].at_s == pytest.approx(LEAD, abs=0.15)
    assert events[1].at_s == pytest.approx(LEAD + spoken_for, abs=0.3)
    assert not detector.speaking


def test_silence_alone_is_no_speech() -> None:
    detector = SpeechDetector(SileroVad())

    assert detector.feed(silence(3.0)) == []
    assert not detector.speaking


def test_speech_probability_is_high_in_speech_and_low_in_silence(speech: np.ndarray) -> None:
    vad = SileroVad()
    quiet = [vad.probability(c) for c in np.split(silence(1.024), 32)]
    middle = speech[len(speech) // 3 :][: 32 * CHUNK_SAMPLES]
    spoken = [vad.probability(c) for c in np.split(middle, 32)]

    assert max(quiet) < 0.2
    assert np.mean(spoken) > 0.6


def test_a_chunk_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError, match="512"):
        SileroVad().probability(np.zeros(100, dtype=np.float32))


def test_a_missing_model_file_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(VadUnavailable, match=r"missing\.onnx"):
        SileroVad(tmp_path / "missing.onnx")
