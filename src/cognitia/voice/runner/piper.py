"""Piper voices in the voice runner: one ONNX session per voice, with a fixed thread count.

piper's own `PiperVoice.load` builds a session with ONNX Runtime's default threads (all
cores); the runner shares the machine with the API and the model runner, so the session
is built here with `threads` (default 1).
"""

from __future__ import annotations

import json
import logging
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime
from piper import PiperVoice, SynthesisConfig
from piper.config import PiperConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pcm:
    """Mono signed 16-bit little-endian samples."""

    samples: bytes
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / 2 / self.sample_rate


class PiperVoices:
    """The loaded piper voices by id; synthesis is serialised per voice."""

    def __init__(self, paths: dict[str, Path], *, threads: int) -> None:
        self._paths = paths
        self._threads = threads
        self._voices: dict[str, PiperVoice] = {}
        self._locks: dict[str, threading.Lock] = {}

    def load(self) -> None:
        for voice_id, path in self._paths.items():
            self._voices[voice_id] = _load(path, threads=self._threads)
            self._locks[voice_id] = threading.Lock()
            log.info("piper voice loaded", extra={"voice": voice_id, "path": str(path)})

    def names(self) -> list[str]:
        return sorted(self._voices)

    def synthesize(self, text: str, *, voice: str, speed: float) -> Pcm:
        """Blocking: call from a worker thread. KeyError for a voice that is not loaded."""
        piper_voice = self._voices[voice]
        text = speakable(text)
        # Piper's length_scale is the inverse of speed: 0.5 speaks twice as fast.
        config = SynthesisConfig(length_scale=piper_voice.config.length_scale / speed)
        with self._locks[voice]:
            chunks = [c.audio_int16_array for c in piper_voice.synthesize(text, syn_config=config)]
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return Pcm(samples.astype("<i2").tobytes(), piper_voice.config.sample_rate)


def speakable(text: str) -> str:
    """The text without control characters: piper's phonemizer (espeak-ng's library)
    fails on a NUL byte, and none of them is ever spoken."""
    return "".join(c if c in "\n\t" or unicodedata.category(c) != "Cc" else " " for c in text)


def _load(model_path: Path, *, threads: int) -> PiperVoice:
    config = json.loads(Path(f"{model_path}.json").read_text(encoding="utf-8"))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(session=session, config=PiperConfig.from_dict(config))
