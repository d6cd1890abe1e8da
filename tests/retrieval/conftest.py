"""Retrieval tests embed through the fake upstream's OpenAI-compatible /v1/embeddings:
deterministic vectors in which texts sharing words are similar, so rankings are known."""

from __future__ import annotations

from pathlib import Path

import pytest

from cognitia.config import Settings
from tests.conftest import make_settings
from tests.support.fake_upstream import FakeUpstream


def catalogue_text(upstream: FakeUpstream, *, embedder: str = "fake") -> str:
    return f"""
default_embedder = "{embedder}"

[providers.up]
type = "openai"
base_url = "{upstream.openai_url}"

[embedders.fake]
type = "openai"
provider = "up"
upstream = "embed-fake"
dimensions = 384

[embedders.other]
type = "openai"
provider = "up"
upstream = "embed-other"
dimensions = 384

[embedders.small]
type = "openai"
provider = "up"
upstream = "embed-small"
dimensions = 64
"""


def retrieval_settings(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, *, embedder: str = "fake"
) -> Settings:
    path = tmp_path / f"models-{embedder}.toml"
    path.write_text(catalogue_text(upstream, embedder=embedder))
    return make_settings(database_url, tmp_path, llm={"catalogue_path": path})


@pytest.fixture
def settings(database_url: str, tmp_path: Path, upstream_server: FakeUpstream) -> Settings:
    return retrieval_settings(database_url, tmp_path, upstream_server)
