"""The chats tests' fake upstream behind the standard `app`, `client` and `runtime`
fixtures, on both database backends; model `rp` (the chat lane) and `claude` (over the
Anthropic API) declare the "tools" capability, `alpha` does not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from cognitia.config import Settings
from tests.chats.conftest import catalogue_text
from tests.conftest import make_settings
from tests.support.fake_dns import FakeDns
from tests.support.fake_upstream import FakeUpstream
from tests.support.fetch_site import RECORDS, Site


def tool_catalogue(upstream: FakeUpstream) -> str:
    text = catalogue_text(upstream)
    text = text.replace(
        'upstream = "rp-model"\n', 'upstream = "rp-model"\ncapabilities = ["chat", "tools"]\n'
    )
    return text.replace(
        "[lanes]",
        f"""
[providers.anth]
type = "anthropic"
base_url = "{upstream.url}"
api_key = "sk-ant-test"

[models.claude]
provider = "anth"
upstream = "claude-model"
context_window = 8192
capabilities = ["chat", "tools"]

[lanes]""",
    )


@pytest.fixture
def tool_settings() -> dict[str, object]:
    return {}


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, tool_settings: dict[str, object]
) -> Settings:
    path = tmp_path / "models.toml"
    path.write_text(tool_catalogue(upstream))
    return make_settings(database_url, tmp_path, llm={"catalogue_path": path}, tools=tool_settings)


@pytest_asyncio.fixture
async def site() -> AsyncIterator[Site]:
    site = Site()
    server = await asyncio.start_server(site.handle, "127.0.0.1", 0)
    site.port = server.sockets[0].getsockname()[1]
    async with server:
        yield site
        for writer in site.hanging:
            writer.close()


@pytest_asyncio.fixture
async def dns_server() -> AsyncIterator[FakeDns]:
    async with FakeDns(RECORDS) as server:
        yield server
