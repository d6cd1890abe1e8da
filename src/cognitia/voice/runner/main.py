"""`cognitia voice-runner`: serve the local voice engines (piper, Whisper), on a Unix socket
(the child of an API or worker process) or on a TCP port (one runner shared by several
processes), as the model runner is served (llm/runner/serving.py)."""

from __future__ import annotations

from cognitia.config import Settings
from cognitia.llm.runner.serving import serve
from cognitia.observability import logging as cognitia_logging
from cognitia.voice.runner.server import create_voice_runner_app


def run(settings: Settings, *, uds: str | None, host: str, port: int, watch_parent: bool) -> None:
    cognitia_logging.configure(settings.log_level, json=settings.log_json)
    app = create_voice_runner_app(settings.voice)
    serve(app, name="voice runner", uds=uds, host=host, port=port, watch_parent=watch_parent)
