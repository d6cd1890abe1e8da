"""`cognitia model-runner`: serve the catalogue's local models, on a Unix socket (the child
of an API or worker process) or on a TCP port (one runner shared by several processes);
serving.py says how, and how a child exits with its parent."""

from __future__ import annotations

from cognitia.config import Settings
from cognitia.llm.catalogue import load as load_catalogue
from cognitia.llm.runner.server import create_runner_app
from cognitia.llm.runner.serving import serve
from cognitia.observability import logging as cognitia_logging


def run(settings: Settings, *, uds: str | None, host: str, port: int, watch_parent: bool) -> None:
    cognitia_logging.configure(settings.log_level, json=settings.log_json)
    llm = settings.llm
    catalogue = load_catalogue(llm.catalogue_path, default_model=llm.default_model)
    app = create_runner_app(catalogue)
    serve(app, name="model runner", uds=uds, host=host, port=port, watch_parent=watch_parent)
