"""An app whose lanes are the fake upstream, each on a model of its own so tests script
every role apart: the planner and the critic (plan lane) on `planner-model`, the summary
on `summary-model`, agents without a model of their own on `rp-model` (chat lane), and
agents that name `alpha` or `beta` on `alpha-model` / `beta-model`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from cognitia.config import Settings
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.fake_upstream import FakeUpstream
from tests.support.workers import WorkerProcesses

MODELS = ("rp", "alpha", "beta", "planner", "summary")
# Models that take tools (the catalogue's "tools" capability): a step's tool is offered.
TOOL_MODELS = ("beta",)


def catalogue(upstream: FakeUpstream) -> str:
    models = "".join(
        f"""
[models.{name}]
provider = "fake"
upstream = "{name}-model"
context_window = 8192
input_price = 1.0
output_price = 2.0
capabilities = {'["chat", "tools"]' if name in TOOL_MODELS else '["chat"]'}
"""
        for name in MODELS
    )
    # A held reply (Script.hold) waits as long as the test needs: no first-token timeout
    # may end it first.
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
first_token_timeout_seconds = 120
{models}
[lanes]
chat = ["rp"]
roleplay = ["rp"]
plan = ["planner"]
summarize = ["summary"]
"""


def task_settings(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, **overrides: object
) -> Settings:
    path = tmp_path / "models.toml"
    path.write_text(catalogue(upstream))
    return make_settings(database_url, tmp_path, llm={"catalogue_path": path}, **overrides)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, upstream: FakeUpstream) -> Settings:
    return task_settings(database_url, tmp_path, upstream)


@pytest_asyncio.fixture
async def task_app(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running_app(settings) as pair:
        yield pair


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[WorkerProcesses]:
    """Start `cognitia worker` processes; all are killed when the test ends."""
    processes = WorkerProcesses(tmp_path / "workers")
    yield processes
    processes.stop_all()
