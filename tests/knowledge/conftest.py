"""An app whose default embedder is the fake upstream's /v1/embeddings, and two users.

The fake embeds by words (tests/support/fake_upstream.py), so search results are
deterministic and no model is loaded; the failure tests script it to answer 503.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from cognitia.config import Settings
from cognitia.models.user import User
from cognitia.runtime import Runtime
from tests.conftest import make_settings
from tests.support.factories import user_with_token
from tests.support.fake_upstream import FakeUpstream

Account = tuple[User, dict[str, str]]
EMBEDDER = "embed-fake"
MAX_DOCUMENT_BYTES = 200_000


def knowledge_settings(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, **knowledge: int
) -> Settings:
    """Settings with the fake embedder; `knowledge` overrides the small test limits."""
    catalogue = tmp_path / "models.toml"
    catalogue.write_text(
        f"""
default_embedder = "fake"

[providers.fake]
type = "openai"
base_url = "{upstream.openai_url}"

[embedders.fake]
type = "openai"
provider = "fake"
upstream = "{EMBEDDER}"
dimensions = 384
"""
    )
    limits = {"max_document_bytes": MAX_DOCUMENT_BYTES, "index_batch_size": 4, **knowledge}
    return make_settings(
        database_url, tmp_path, llm={"catalogue_path": catalogue}, knowledge=limits
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path, upstream: FakeUpstream) -> Settings:
    return knowledge_settings(database_url, tmp_path, upstream)


@pytest_asyncio.fixture
async def owner(runtime: Runtime, client: httpx.AsyncClient) -> Account:
    return await user_with_token(runtime, client)


@pytest_asyncio.fixture
async def other(runtime: Runtime, client: httpx.AsyncClient) -> Account:
    return await user_with_token(runtime, client)
