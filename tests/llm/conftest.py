"""An app whose catalogue points at the fake upstream (several providers, one server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.fake_upstream import FakeUpstream
from tests.support.net import free_port


def catalogue_text(upstream: FakeUpstream) -> str:
    """Models a and b on two providers of one fake; c on Anthropic; tiny has 256 tokens."""
    closed = f"http://127.0.0.1:{free_port()}/v1"
    return f"""
[providers.up_a]
type = "openai"
base_url = "{upstream.openai_url}"
api_key = "sk-a-secret"
first_token_timeout_seconds = 0.5

[providers.up_b]
type = "openai"
base_url = "{upstream.openai_url}"
first_token_timeout_seconds = 2

[providers.anth]
type = "anthropic"
base_url = "{upstream.url}"
api_key = "sk-ant-secret"

[providers.down]
type = "openai"
base_url = "{closed}"
connect_timeout_seconds = 1

[models.a]
provider = "up_a"
upstream = "model-a"
context_window = 4096
input_price = 2.5
output_price = 10.0
fallbacks = ["b"]

[models.b]
provider = "up_b"
upstream = "model-b"
context_window = 4096
input_price = 0.15
output_price = 0.6

[models.c]
provider = "anth"
upstream = "claude-c"
context_window = 8192
input_price = 3.0
output_price = 15.0

[models.gone]
provider = "down"
upstream = "model-gone"
context_window = 4096
fallbacks = ["b"]

[models.tiny]
provider = "up_b"
upstream = "model-tiny"
context_window = 256

[models.raw]
provider = "up_b"
upstream = "model-raw"
context_window = 4096
capabilities = ["chat", "completion"]

[lanes]
chat = ["a", "b"]
roleplay = ["c", "a"]
summarize = ["tiny", "b"]

[embedders.fake]
type = "openai"
provider = "up_b"
upstream = "embed-fake"
dimensions = 384
"""


@pytest.fixture
def catalogue_path(upstream: FakeUpstream, tmp_path: Path) -> Path:
    path = tmp_path / "models.toml"
    path.write_text(catalogue_text(upstream))
    return path


@pytest_asyncio.fixture
async def llm_app(
    database_url: str, tmp_path: Path, catalogue_path: Path
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = make_settings(
        database_url,
        tmp_path,
        llm={"catalogue_path": catalogue_path, "breaker_failure_threshold": 2},
    )
    async with running_app(settings) as (app, client):
        yield app, client
