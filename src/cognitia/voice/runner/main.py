"""`cognitia voice-runner`: serve the local voices (piper), on a Unix socket (the child of
an API or worker process) or on a TCP port (one runner shared by several processes).

Like the model runner, a child watches its standard input, a pipe its parent holds open,
and exits when the parent dies.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

import uvicorn

from cognitia.config import Settings
from cognitia.observability import logging as cognitia_logging
from cognitia.voice.runner.server import create_voice_runner_app

log = logging.getLogger(__name__)
ORPHAN_EXIT_SECONDS = 10.0


def run(settings: Settings, *, uds: str | None, host: str, port: int, watch_parent: bool) -> None:
    cognitia_logging.configure(settings.log_level, json=settings.log_json)
    config = uvicorn.Config(
        create_voice_runner_app(settings.voice),
        uds=uds,
        host=host,
        port=port,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    if watch_parent:
        threading.Thread(target=_exit_with_parent, args=(server,), daemon=True).start()
    log.info("voice runner starting", extra={"uds": uds, "port": None if uds else port})
    server.run()


def _exit_with_parent(server: uvicorn.Server) -> None:
    sys.stdin.buffer.read()  # returns at EOF: the parent closed the pipe or died
    log.warning("voice runner: parent process gone, exiting")
    server.should_exit = True
    time.sleep(ORPHAN_EXIT_SECONDS)
    os._exit(0)
