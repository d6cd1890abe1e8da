"""/metrics on a port of its own (COGNITIA_HTTP__METRICS_PORT), so the scrape endpoint can
stay on an internal interface while the API faces the world.

prometheus_client's server runs in a daemon thread of the API process and serves the same
registry as /metrics would; each API process needs a port of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import start_http_server

from cognitia.config import HttpSettings


@asynccontextmanager
async def metrics_port(http: HttpSettings) -> AsyncIterator[None]:
    """Serve the metrics on http.metrics_port while the block runs (nothing when unset)."""
    if http.metrics_port is None:
        yield
        return
    server, thread = start_http_server(http.metrics_port, addr=http.metrics_host)
    try:
        yield
    finally:
        # shutdown() waits for the serving loop's next poll (up to half a second): off the loop.
        await asyncio.to_thread(server.shutdown)
        server.server_close()
        await asyncio.to_thread(thread.join)
