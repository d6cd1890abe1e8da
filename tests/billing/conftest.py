"""An app on the fake upstream whose default plan is Free, as an operator selling plans runs it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio
from fastapi import FastAPI

from tests.chats.conftest import fake_model_settings, upstream, upstream_server
from tests.support.apps import running_app
from tests.support.fake_upstream import FakeUpstream

__all__ = ["upstream", "upstream_server"]


@pytest_asyncio.fixture
async def free_app(
    database_url: str, tmp_path: Path, upstream: FakeUpstream
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = fake_model_settings(
        database_url, tmp_path, upstream, billing={"default_plan": "free"}
    )
    async with running_app(settings) as pair:
        yield pair
