"""A character as a model of the OpenAI-compatible API: `character/<id>`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import openai
import pytest
import pytest_asyncio
from openai import AsyncOpenAI

from cognitia.app import create_app
from cognitia.models.character import Character, Visibility
from cognitia.models.user import User
from cognitia.runtime import Runtime
from tests.conftest import make_settings
from tests.support.factories import bearer, create_api_key, create_user, login
from tests.support.fake_upstream import FakeUpstream
from tests.support.live import live_server

pytestmark = pytest.mark.asyncio

# httpx gives up after 5 s by default: a wall-clock bound a loaded CI machine can break
# (a login once took longer). This is a hang guard, not a measurement.
HANG_GUARD_SECONDS = 60


@pytest_asyncio.fixture
async def served(
    database_url: str, tmp_path: Path, catalogue_path: Path
) -> AsyncIterator[tuple[str, Runtime]]:
    settings = make_settings(database_url, tmp_path, llm={"catalogue_path": catalogue_path})
    app = create_app(settings)
    async with live_server(app) as url:
        yield url, app.state.runtime


async def sdk_for(url: str, user: User) -> AsyncOpenAI:
    async with httpx.AsyncClient(base_url=url, timeout=HANG_GUARD_SECONDS) as http:
        tokens = await login(http, user.email)
        key = await create_api_key(http, bearer(tokens["access_token"]), name="sdk")
    return AsyncOpenAI(base_url=f"{url}/v1", api_key=key["key"], max_retries=0)


async def make_character(runtime: Runtime, owner: User, **fields: object) -> Character:
    async with runtime.db.unit_of_work() as session:
        character = Character(owner_id=owner.id, **fields)
        session.add(character)
        await session.flush()
        return character


async def test_a_character_answers_in_character(
    served: tuple[str, Runtime], upstream: FakeUpstream
) -> None:
    url, runtime = served
    owner = await create_user(runtime, first_name="Sam")
    luna = await make_character(
        runtime,
        owner,
        name="Luna",
        description="A moon spirit who speaks softly.",
        system_prompt="You are {{char}}, talking with {{user}}.",
        model="b",
        temperature=0.3,
    )
    upstream.script("model-b", reply="Hello from the moon")
    client = await sdk_for(url, owner)
    completion = await client.chat.completions.create(
        model=f"character/{luna.id}", messages=[{"role": "user", "content": "Who are you?"}]
    )
    await client.close()
    assert completion.choices[0].message.content == "Hello from the moon"
    sent = upstream.last("model-b").body
    system = sent["messages"][0]
    assert system["role"] == "system"
    assert "You are Luna, talking with Sam." in system["content"]
    assert "A moon spirit who speaks softly." in system["content"]
    assert sent["messages"][-1]["content"].endswith("Who are you?")
    assert sent["temperature"] == 0.3


async def test_models_list_the_callers_characters_and_others_private_ones_are_404(
    served: tuple[str, Runtime], upstream: FakeUpstream
) -> None:
    url, runtime = served
    owner = await create_user(runtime)
    stranger = await create_user(runtime)
    mine = await make_character(runtime, owner, name="Mine", model="b")
    secret = await make_character(runtime, stranger, name="Secret", model="b")
    public = await make_character(
        runtime, stranger, name="Open", model="b", visibility=Visibility.PUBLIC
    )
    client = await sdk_for(url, owner)
    ids = {m.id async for m in client.models.list()}
    assert f"character/{mine.id}" in ids
    assert f"character/{secret.id}" not in ids
    with pytest.raises(openai.NotFoundError):
        await client.chat.completions.create(
            model=f"character/{secret.id}", messages=[{"role": "user", "content": "hi"}]
        )
    upstream.script("model-b", reply="public reply")
    completion = await client.chat.completions.create(
        model=f"character/{public.id}", messages=[{"role": "user", "content": "hi"}]
    )
    await client.close()
    assert completion.choices[0].message.content == "public reply"
