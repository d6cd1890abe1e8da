"""Which adapter speaks each catalogue voice, decided from settings alone (called by the
composition root, runtime.py).

- piper voices: one OpenAI-compatible client over the voice runner's socket, and the
  runner itself, only when piper-tts and the voice's files are installed (or the runner
  is a shared one, elsewhere);
- espeak voices: the espeak-ng subprocess adapter (listed only when the executable exists);
- openai voices: one client per voice, with its server, model and key;
- cloned voices (an entry with `convert`): the engine's adapter, wrapped in a
  ConvertedVoice with one RvcConverter per conversion server;
- live calls' turn detection: the voice runner's /v1/listen, when there is a runner and
  Silero VAD can run in it (faster-whisper ships the model, onnxruntime runs it).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from cognitia.config import RunnerSettings, VoiceEntry, VoiceSettings
from cognitia.llm.runner.supervisor import Runner
from cognitia.voice import catalogue, transcribers
from cognitia.voice.adapters.espeak import EspeakSynthesizer
from cognitia.voice.adapters.openai_speech import OpenAISpeech
from cognitia.voice.adapters.runner_listener import RunnerTurnDetector
from cognitia.voice.adapters.rvc import RvcConverter
from cognitia.voice.conversion import ConvertedVoice
from cognitia.voice.errors import VoiceUnavailable
from cognitia.voice.ports import Audio, AudioFormat, SpeechSynthesizer, VoiceInfo
from cognitia.voice.registry import NamedVoice, VoiceRegistry

RunnerFactory = Callable[..., Runner]
VOICE_RUNNER = "voice-runner"


def build_voices(settings: VoiceSettings, *, runner_for: RunnerFactory) -> VoiceRegistry:
    entries = catalogue.voices(settings)
    piper_names = _piper_voices(settings, entries)
    # One voice runner serves both directions: piper voices and local transcription.
    whisper = _local_transcription(settings)
    runner = _runner(settings.runner, runner_for) if piper_names or whisper else None
    piper = _piper(entries, piper_names, runner, settings) if runner is not None else None
    espeak = EspeakSynthesizer(
        [_info(n, e) for n, e in entries.items() if e.engine == "espeak"],
        command=settings.espeak_command,
        timeout_seconds=settings.timeout_seconds,
    )
    named = []
    converters: dict[str, RvcConverter] = {}
    for name, entry in entries.items():
        synthesizer = _adapter(name, entry, piper=piper, espeak=espeak, settings=settings)
        if entry.convert is not None:
            url = entry.convert.url
            if url not in converters:
                converters[url] = RvcConverter(url, timeout_seconds=settings.timeout_seconds)
            synthesizer = ConvertedVoice(name, synthesizer, converters[url], entry.convert)
        named.append(NamedVoice(name, entry, synthesizer))
    transcriber = transcribers.build_transcriber(
        settings.transcription, runner if whisper else None
    )
    turns = _turn_detector(settings, runner)
    return VoiceRegistry(
        named,
        default=settings.default_voice,
        runner=runner,
        transcriber=transcriber,
        turns=turns,
    )


def _turn_detector(settings: VoiceSettings, runner: Runner | None) -> RunnerTurnDetector | None:
    """The runner's VAD, found without importing it (the API never loads native speech code);
    a shared runner is assumed to have it."""
    if runner is None:
        return None
    local = all(importlib.util.find_spec(n) for n in ("faster_whisper", "onnxruntime"))
    if settings.runner.mode != "external" and not local:
        return None
    return RunnerTurnDetector(runner, timeout_seconds=settings.timeout_seconds)


def _piper_voices(settings: VoiceSettings, entries: dict[str, VoiceEntry]) -> list[str]:
    """The piper voices that can speak: those installed here for a child runner; all of
    them for a shared runner, which has its own installation (it answers for the rest)."""
    shared = settings.runner.mode == "external"
    local = {} if shared else catalogue.local_piper_voices(settings)
    return [n for n, e in entries.items() if e.engine == "piper" and (shared or e.voice in local)]


def _local_transcription(settings: VoiceSettings) -> bool:
    """Whether the voice runner transcribes: faster-whisper and a model installed here for a
    child runner; assumed of a shared runner, which has its own installation."""
    if settings.transcription.engine != "local":
        return False
    return settings.runner.mode == "external" or transcribers.local_installed(
        settings.transcription
    )


def _runner(settings: RunnerSettings, runner_for: RunnerFactory) -> Runner:
    return runner_for(settings, subcommand=VOICE_RUNNER)


def _piper(
    entries: dict[str, VoiceEntry], names: list[str], runner: Runner, settings: VoiceSettings
) -> OpenAISpeech:
    return OpenAISpeech(
        [_info(name, entries[name]) for name in names],
        base_url=f"{runner.base_url}/v1",
        model="piper",
        timeout_seconds=settings.timeout_seconds,
        runner=runner,
    )


def _adapter(
    name: str,
    entry: VoiceEntry,
    *,
    piper: OpenAISpeech | None,
    espeak: EspeakSynthesizer,
    settings: VoiceSettings,
) -> SpeechSynthesizer:
    if entry.engine == "espeak":
        return espeak
    if entry.engine == "openai":
        assert entry.base_url is not None
        assert entry.model is not None
        return OpenAISpeech(
            [_info(name, entry)],
            base_url=entry.base_url,
            model=entry.model,
            api_key=catalogue.api_key(entry),
            timeout_seconds=settings.timeout_seconds,
        )
    return piper if piper is not None else NotInstalled()


def _info(name: str, entry: VoiceEntry) -> VoiceInfo:
    return VoiceInfo(name, entry.engine, entry.language, entry.description)


class NotInstalled:
    """A piper voice whose engine or files are not installed: listed nowhere."""

    def voices(self) -> list[VoiceInfo]:
        return []

    async def synthesize(
        self, text: str, *, voice: str, speed: float = 1.0, audio_format: AudioFormat = "wav"
    ) -> Audio:
        raise VoiceUnavailable("This voice is not installed: see docs/voice.md.")
