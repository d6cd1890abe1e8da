"""The chats tests' fake upstream (chat models and a word-based embedder) behind the
standard `app`, `client` and `runtime` fixtures, on both database backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from cognitia.config import Settings
from tests.chats.conftest import fake_model_settings, upstream, upstream_server
from tests.support.fake_upstream import FakeUpstream

__all__ = ["upstream", "upstream_server"]


@pytest.fixture
def settings(database_url: str, tmp_path: Path, upstream: FakeUpstream) -> Settings:
    return fake_model_settings(database_url, tmp_path, upstream)
