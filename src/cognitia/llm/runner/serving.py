"""Serving a runner process (the model runner, the voice runner): its Starlette app on a
Unix socket (the child of an API or worker process) or a TCP port (a shared runner).

A child watches its standard input, a pipe its parent holds open: when the parent dies,
even by SIGKILL, the pipe closes and the runner exits instead of lingering with its
models in memory. Nothing here imports a model: the voice runner serves through it too.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger(__name__)
# After the parent is gone, a clean exit gets this long before the process just ends.
ORPHAN_EXIT_SECONDS = 10.0


def serve(  # noqa: PLR0913 - where to listen, and what to call the runner in logs
    app: ASGIApp, *, name: str, uds: str | None, host: str, port: int, watch_parent: bool
) -> None:
    config = uvicorn.Config(
        app,
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
        threading.Thread(target=_exit_with_parent, args=(server, name), daemon=True).start()
    log.info("%s starting", name, extra={"uds": uds, "port": None if uds else port})
    server.run()


def _exit_with_parent(server: uvicorn.Server, name: str) -> None:
    sys.stdin.buffer.read()  # returns at EOF: the parent closed the pipe or died
    log.warning("%s: parent process gone, exiting", name)
    server.should_exit = True
    time.sleep(ORPHAN_EXIT_SECONDS)
    os._exit(0)
