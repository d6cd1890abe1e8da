"""`cognitia model-runner`: serve the catalogue's local models, on a Unix socket (the child
of an API or worker process) or on a TCP port (one runner shared by several processes).

A child watches its standard input, a pipe its parent holds open: when the parent dies,
even by SIGKILL, the pipe closes and the runner exits instead of lingering with a model
in memory.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

import uvicorn

from cognitia.config import Settings
from cognitia.llm.catalogue import load as load_catalogue
from cognitia.llm.runner.server import create_runner_app
from cognitia.observability import logging as cognitia_logging

log = logging.getLogger(__name__)
# After the parent is gone, a clean exit gets this long before the process just ends.
ORPHAN_EXIT_SECONDS = 10.0


def run(settings: Settings, *, uds: str | None, host: str, port: int, watch_parent: bool) -> None:
    cognitia_logging.configure(settings.log_level, json=settings.log_json)
    llm = settings.llm
    catalogue = load_catalogue(llm.catalogue_path, default_model=llm.default_model)
    config = uvicorn.Config(
        create_runner_app(catalogue),
        uds=uds,
        host=host,
        port=port,
        log_config=None,
        log_level="warning",  # uvicorn's start lines would read as a second server's
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    if watch_parent:
        threading.Thread(target=_exit_with_parent, args=(server,), daemon=True).start()
    log.info("model runner starting", extra={"uds": uds, "port": None if uds else port})
    server.run()


def _exit_with_parent(server: uvicorn.Server) -> None:
    sys.stdin.buffer.read()  # returns at EOF: the parent closed the pipe or died
    log.warning("model runner: parent process gone, exiting")
    server.should_exit = True
    time.sleep(ORPHAN_EXIT_SECONDS)
    os._exit(0)
