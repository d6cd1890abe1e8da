"""An app whose catalogue points every chat model at the fake upstream, and helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from cognitia.config import Settings
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.fake_upstream import FakeUpstream


def catalogue_text(upstream: FakeUpstream, *, window: int = 8192) -> str:
    """The roleplay lane on model `rp`; `alpha`, `beta`, `gamma` for characters that name
    their own model, each with a context window of `window` tokens. Upstream ids end in
    -model, so tests script them apart."""
    models = "\n".join(
        f"""
[models.{name}]
provider = "fake"
upstream = "{name}-model"
context_window = {window}
"""
        for name in ("rp", "alpha", "beta", "gamma")
    )
    return f"""
default_embedder = "fake"

[embedders.fake]
type = "openai"
provider = "fake"
upstream = "embed-fake"
dimensions = 384

[providers.fake]
type = "openai"
base_url = "{upstream.openai_url}"
first_token_timeout_seconds = 5
{models}
[lanes]
chat = ["rp"]
roleplay = ["rp"]
"""


def fake_model_settings(
    database_url: str,
    tmp_path: Path,
    upstream: FakeUpstream,
    *,
    window: int = 8192,
    **overrides: object,
) -> Settings:
    """Test settings whose catalogue (catalogue_text) points at the fake upstream."""
    path = tmp_path / "models.toml"
    path.write_text(catalogue_text(upstream, window=window))
    return make_settings(database_url, tmp_path, llm={"catalogue_path": path}, **overrides)


@pytest.fixture
def chat_settings(database_url: str, tmp_path: Path, upstream: FakeUpstream) -> Settings:
    return fake_model_settings(database_url, tmp_path, upstream)


@pytest_asyncio.fixture
async def chat_app(chat_settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running_app(chat_settings) as pair:
        yield pair
