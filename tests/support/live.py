"""Serving an app over real HTTP on 127.0.0.1, inside the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from tests.support.net import free_port
from tests.support.waiting import eventually


@asynccontextmanager
async def live_server(app: FastAPI) -> AsyncIterator[str]:
    """Run `app` (lifespan included) with uvicorn; yield its base URL."""
    async with uvicorn_server(app) as (url, _):
        yield url


@asynccontextmanager
async def uvicorn_server(app: FastAPI) -> AsyncIterator[tuple[str, uvicorn.Server]]:
    """`live_server`, with the server too: `server.should_exit = True` is what SIGTERM does."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    try:
        await eventually(started)
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        await task
