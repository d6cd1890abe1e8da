"""A model runner that misbehaves on purpose, speaking the runner's real protocol over the
socket the supervisor gives it: `python -m tests.support.fake_runner MODE --uds PATH`.

- crash: exits with code 3 before it serves anything (a runner that crashes on start).
- hang: healthy, but a chat request never gets a token; /health then reports the
  request as stalled, as the real runner does for a generation that makes no progress.
"""

from __future__ import annotations

import asyncio
import sys
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

hanging_since: list[float] = []


async def health(_: Request) -> Response:
    now = time.monotonic()
    stalled = max((now - since for since in hanging_since), default=0.0)
    return JSONResponse(
        {"status": "ok", "generating": len(hanging_since), "stalled_seconds": stalled}
    )


async def hang(_: Request) -> Response:
    hanging_since.append(time.monotonic())
    await asyncio.sleep(3600)
    return JSONResponse({})


def main() -> None:
    mode, uds = sys.argv[1], sys.argv[sys.argv.index("--uds") + 1]
    if mode == "crash":
        sys.exit(3)
    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/v1/chat/completions", hang, methods=["POST"]),
        Route("/v1/completions", hang, methods=["POST"]),
    ]
    uvicorn.run(Starlette(routes=routes), uds=uds, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
