"""The chats tests' fake upstream (chat models and a word-based embedder) behind the
standard `app`, `client` and `runtime` fixtures, on both database backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from cognitia.config import Settings
from tests.chats.conftest import catalogue_text, upstream, upstream_server
from tests.conftest import make_settings
from tests.support.fake_upstream import FakeUpstream

__all__ = ["upstream", "upstream_server"]


@pytest.fixture
def settings(database_url: str, tmp_path: Path, upstream: FakeUpstream) -> Settings:
    path = tmp_path / "models.toml"
    path.write_text(catalogue_text(upstream))
    return make_settings(database_url, tmp_path, llm={"catalogue_path": path})
