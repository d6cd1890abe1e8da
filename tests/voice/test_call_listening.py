"""A live call's turn ends in the voice runner (voice/runner/listening.py: Endpointer): real
Silero VAD on espeak-ng's speech fed in 20 ms frames, as the API forwards a call's audio."""

from __future__ import annotations

import numpy as np
import pytest

from cognitia.voice.runner.listening import PAD_SECONDS, Endpointer, Heard
from cognitia.voice.vad import SileroVad, bundled_model_path
from tests.support.calls import quiet, to_pcm
from tests.support.spoken import ESPEAK, pcm16k, spoken_wav

pytestmark = [
    pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed"),
    pytest.mark.skipif(bundled_model_path() is None, reason="faster-whisper is not installed"),
]
FRAME = 640  # 20 ms


@pytest.fixture(scope="module")
def words(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    samples = pcm16k(spoken_wav(tmp_path_factory.mktemp("listen"), "Bread and milk."))
    loud = np.flatnonzero(np.abs(samples) > 0.02)
    return to_pcm(samples[loud[0] : loud[-1] + 1])


def heard(endpointer: Endpointer, pcm: bytes) -> list[Heard]:
    events = []
    for at in range(0, len(pcm), FRAME):
        events += endpointer.feed(pcm[at : at + FRAME])
    return events


def endpointer(**options: float) -> Endpointer:
    settings = {"silence_ms": 500, "pause_ms": 200, "max_utterance_s": 30.0, **options}
    return Endpointer(SileroVad(), **settings)  # type: ignore[arg-type]


def test_a_turn_is_heard_with_its_audio_and_a_guess_at_the_pause(words: bytes) -> None:
    events = heard(endpointer(), quiet(0.5) + words + quiet(1.0))

    assert [e.kind for e in events] == ["started", "paused", "stopped"]
    started, paused, stopped = events
    assert started.at_s == pytest.approx(0.5, abs=0.15)
    spoken_s = len(words) / 32_000
    assert stopped.end_s - stopped.at_s == pytest.approx(spoken_s, abs=0.3)
    # The utterance with its pads, the same audio the guess had (the guess ends sooner).
    assert len(stopped.pcm) / 32_000 == pytest.approx(spoken_s + 2 * PAD_SECONDS, abs=0.35)
    assert stopped.pcm.startswith(paused.pcm[: len(paused.pcm) // 2])
    assert not stopped.cut


def test_speaking_on_after_a_short_pause_drops_the_guess(words: bytes) -> None:
    events = heard(endpointer(), words + quiet(0.35) + words + quiet(1.0))

    assert [e.kind for e in events] == ["started", "paused", "resumed", "paused", "stopped"]
    assert len(events[-1].pcm) / 32_000 > 2 * len(words) / 32_000  # one turn: both parts


def test_a_turn_longer_than_allowed_is_cut_and_heard_on(words: bytes) -> None:
    long_speech = (words + quiet(0.1)) * 6
    events = heard(endpointer(max_utterance_s=1.0, pause_ms=0), long_speech)

    cuts = [e for e in events if e.kind == "stopped"]
    assert cuts
    assert all(e.cut for e in cuts)
    assert all(len(e.pcm) / 32_000 <= 1.0 + 2 * PAD_SECONDS for e in cuts)
    assert [e.kind for e in events].count("started") == len(cuts) + 1  # heard on after each


def test_a_reset_drops_the_turn_being_heard(words: bytes) -> None:
    listening = endpointer()
    assert [e.kind for e in heard(listening, words)] == ["started"]

    listening.reset()

    assert heard(listening, quiet(1.0)) == []
