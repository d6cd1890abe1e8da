"""A stand-in server's plumbing: its ASGI app served by uvicorn on a thread of its own, on
a free port of 127.0.0.1, as a context manager. The stand-ins say only what they answer."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Literal, Self

import uvicorn
from starlette.types import ASGIApp

from tests.support.waiting import eventually_sync


class ServedApp:
    """Subclasses set `self.app` in their __init__ (after calling this one's)."""

    app: ASGIApp
    lifespan: Literal["on", "off"] = (
        "off"  # "on" for an app whose lifespan starts what it serves with
    )

    def __init__(self) -> None:
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Serve; returns once the port accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_config=None, access_log=False, lifespan=self.lifespan)
        server = self._server = uvicorn.Server(config)
        thread = self._thread = threading.Thread(
            target=asyncio.run, args=(server.serve(sockets=[sock]),), daemon=True
        )
        thread.start()
        eventually_sync(lambda: server.started or not thread.is_alive(), timeout=10, interval=0.01)
        if not server.started:
            raise RuntimeError(f"the stand-in {type(self).__name__} did not start")
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
