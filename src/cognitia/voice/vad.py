"""Voice activity detection: Silero VAD (the ONNX file faster-whisper ships) run with ONNX
Runtime on 32 ms chunks of 16 kHz mono PCM, and a detector that turns its speech
probabilities into "speech started" and "speech ended" with hysteresis.

Silero v6 takes each 512-sample chunk with the last 64 samples of the one before it, and
carries a recurrent state (h, c) from chunk to chunk: one `SileroVad` per audio stream.
ONNX Runtime is imported only when a model is built, and with one thread (0.2 ms a
chunk on these machines): the detector is cheap enough to sit beside a live call.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16_000
CHUNK_SAMPLES = 512  # 32 ms
CONTEXT_SAMPLES = 64
CHUNK_SECONDS = CHUNK_SAMPLES / SAMPLE_RATE
Pcm = npt.NDArray[np.float32]


def bundled_model_path() -> Path | None:
    """faster-whisper's silero_vad_v6.onnx, found without importing faster-whisper."""
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "assets" / "silero_vad_v6.onnx"
    return path if path.is_file() else None


class VadUnavailable(Exception):
    """No Silero model or no ONNX Runtime installed."""


class SileroVad:
    """Speech probability of each 32 ms chunk of one stream."""

    def __init__(self, model_path: Path | None = None) -> None:
        path = model_path or bundled_model_path()
        if path is None or importlib.util.find_spec("onnxruntime") is None:
            raise VadUnavailable("Silero VAD needs faster-whisper and onnxruntime (voice extra)")
        if not path.is_file():
            raise VadUnavailable(f"no Silero VAD model at {path}")
        self._session = _session(path)
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, dtype=np.float32)

    def probability(self, chunk: Pcm) -> float:
        """The chance that this chunk (exactly 512 samples in [-1, 1]) holds speech."""
        if chunk.shape != (CHUNK_SAMPLES,):
            raise ValueError(f"a chunk is {CHUNK_SAMPLES} samples, not {chunk.shape}")
        window = np.concatenate([self._context, chunk.astype(np.float32, copy=False)])
        inputs = {"input": window[np.newaxis, :], "h": self._state[0], "c": self._state[1]}
        speech, h, c = self._session.run(None, inputs)
        self._state = np.stack([h, c])
        self._context = window[-CONTEXT_SAMPLES:]
        return float(np.asarray(speech).reshape(-1)[0])


def _session(path: Path) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )


@dataclass(frozen=True)
class VadEvent:
    kind: Literal["start", "end"]
    at_s: float  # seconds from the start of the stream


class SpeechDetector:
    """Speech start and end over a stream of PCM of any chunking.

    Speech starts at the first chunk at or above `threshold`; it ends once the
    probability stayed below `threshold - 0.15` for `min_silence_s` (Silero's own
    hysteresis), the end placed where that silence began.
    """

    def __init__(
        self, vad: SileroVad, *, threshold: float = 0.5, min_silence_s: float = 0.3
    ) -> None:
        self._vad = vad
        self._on, self._off = threshold, max(threshold - 0.15, 0.01)
        self._silence_chunks = max(1, round(min_silence_s / CHUNK_SECONDS))
        self._pending = np.zeros(0, dtype=np.float32)
        self._chunks = 0
        self.speaking = False
        self._quiet_since: int | None = None

    @property
    def quiet_s(self) -> float:
        """How long speech in progress has been below the threshold (0 outside speech)."""
        if not self.speaking or self._quiet_since is None:
            return 0.0
        return (self._chunks - self._quiet_since) * CHUNK_SECONDS

    def feed(self, pcm: Pcm) -> list[VadEvent]:
        """Take more samples (16 kHz mono float); the events they complete."""
        self._pending = np.concatenate([self._pending, pcm.astype(np.float32, copy=False)])
        events: list[VadEvent] = []
        while len(self._pending) >= CHUNK_SAMPLES:
            chunk, self._pending = self._pending[:CHUNK_SAMPLES], self._pending[CHUNK_SAMPLES:]
            event = self._step(self._vad.probability(chunk))
            self._chunks += 1
            if event is not None:
                events.append(event)
        return events

    def _step(self, probability: float) -> VadEvent | None:
        if not self.speaking:
            if probability >= self._on:
                self.speaking, self._quiet_since = True, None
                return VadEvent("start", self._chunks * CHUNK_SECONDS)
            return None
        if probability >= self._off:
            self._quiet_since = None
            return None
        if self._quiet_since is None:
            self._quiet_since = self._chunks
        if self._chunks + 1 - self._quiet_since >= self._silence_chunks:
            self.speaking = False
            return VadEvent("end", self._quiet_since * CHUNK_SECONDS)
        return None
