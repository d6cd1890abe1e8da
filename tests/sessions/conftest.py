"""An app whose roleplay lane (model `rp`) and summarize lane (model `notes`) are the
fake upstream: coaches answer through `rp-model`, notes come from `notes-model`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from cognitia.config import Settings
from tests.chats.conftest import catalogue_text
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.fake_upstream import FakeUpstream


def _catalogue(upstream: FakeUpstream) -> str:
    # [lanes] is the last table of catalogue_text: the line continues it.
    return (
        catalogue_text(upstream)
        + 'summarize = ["notes"]\n\n[models.notes]\nprovider = "fake"\n'
        + 'upstream = "notes-model"\ncontext_window = 8192\n'
    )


@pytest.fixture
def session_settings(database_url: str, tmp_path: Path, upstream: FakeUpstream) -> Settings:
    path = tmp_path / "models.toml"
    path.write_text(_catalogue(upstream))
    # On the Free plan, so that turns count against its messages per day.
    return make_settings(
        database_url, tmp_path, llm={"catalogue_path": path}, billing={"default_plan": "free"}
    )


@pytest_asyncio.fixture
async def session_app(
    session_settings: Settings,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running_app(session_settings) as pair:
        yield pair
