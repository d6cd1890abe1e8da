"""Two signed-in users: `owner` makes things, `other` tries to reach them."""

from __future__ import annotations

import httpx
import pytest_asyncio

from cognitia.models.user import User
from cognitia.runtime import Runtime
from tests.support.factories import user_with_token

Account = tuple[User, dict[str, str]]


@pytest_asyncio.fixture
async def owner(runtime: Runtime, client: httpx.AsyncClient) -> Account:
    return await user_with_token(runtime, client)


@pytest_asyncio.fixture
async def other(runtime: Runtime, client: httpx.AsyncClient) -> Account:
    return await user_with_token(runtime, client)
