"""A long chat never fails for want of room: whatever the template and the context
window, the prompt a reply sends fits the window the model layer holds it to.

Many short messages are the hard case: each costs the model a few tokens of overhead
besides its text, which a count of the texts alone misses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import update

from cognitia.characters.schemas import PROMPT_TEMPLATES
from cognitia.llm import logic
from cognitia.llm.ports import ChatMessage
from cognitia.models.chat import Chat
from cognitia.models.message import AuthorType, Message
from cognitia.runtime import Runtime
from tests.chats.conftest import fake_model_settings
from tests.chats.helpers import create_character, create_chat
from tests.support.apps import running_app
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

MESSAGES = 400  # as many as a prompt reads
LINE = "I agree with you about that, my friend."


@pytest_asyncio.fixture(params=[512, 4096])
async def windowed(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path, upstream: FakeUpstream
) -> AsyncIterator[tuple[int, Runtime, httpx.AsyncClient]]:
    settings = fake_model_settings(database_url, tmp_path, upstream, window=request.param)
    async with running_app(settings) as (app, client):
        yield request.param, runtime_of(app), client


async def fill(
    runtime: Runtime, chat_id: str, user_id: str, character_id: str, count: int = MESSAGES
) -> None:
    """`count` short messages, alternating, written as the chat would have them."""
    async with runtime.db.unit_of_work() as session:
        for seq in range(1, count + 1):
            person = seq % 2 == 1
            session.add(
                Message(
                    chat_id=chat_id,
                    seq=seq + 100,  # after the greeting
                    author_type=AuthorType.USER if person else AuthorType.CHARACTER,
                    user_id=user_id if person else None,
                    character_id=None if person else character_id,
                    name="Ann" if person else "Aria",
                    content=f"{LINE} ({seq})",
                )
            )
        await session.flush()
        await session.execute(update(Chat).where(Chat.id == chat_id).values(last_seq=count + 100))


@pytest.mark.parametrize("template", PROMPT_TEMPLATES)
async def test_a_long_chat_still_gets_replies(
    windowed: tuple[int, Runtime, httpx.AsyncClient], upstream: FakeUpstream, template: str
) -> None:
    window, runtime, client = windowed
    user, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=user, prompt_template=template)
    chat = await create_chat(client, headers, aria.id)
    await fill(runtime, chat["id"], user.id, aria.id)
    upstream.script("rp-model", reply="Indeed.")

    said = await client.post(
        f"/api/v2/chats/{chat['id']}/messages", json={"content": "And then?"}, headers=headers
    )

    assert said.status_code == 200, said.text
    assert said.json()["replies"][0]["status"] == "complete"
    sent = upstream.last("rp-model").body
    shown = [ChatMessage(m["role"], m["content"]) for m in sent["messages"]]
    assert logic.estimate_prompt_tokens(shown) + sent["max_tokens"] <= window


@pytest.mark.parametrize("window", [2048, 4096, 8192])
async def test_a_thousand_exchange_chat_goes_on_at_every_window(
    database_url: str, tmp_path: Path, upstream: FakeUpstream, window: int
) -> None:
    """Issue 13's figure: no context_length_exceeded in a 1,000-exchange chat, with the
    chat growing reply by reply past that."""
    settings = fake_model_settings(database_url, tmp_path, upstream, window=window)
    async with running_app(settings) as (app, client):
        runtime = runtime_of(app)
        user, headers = await user_with_token(runtime, client)
        aria = await create_character(runtime, owner=user)
        chat = await create_chat(client, headers, aria.id)
        await fill(runtime, chat["id"], user.id, aria.id, count=2 * 1000)
        upstream.script("rp-model", reply="Indeed, and I would add much more to that.", times=None)

        statuses = []
        for turn in range(5):
            said = await client.post(
                f"/api/v2/chats/{chat['id']}/messages",
                json={"content": f"And then? ({turn})"},
                headers=headers,
            )
            assert said.status_code == 200, said.text
            statuses.append(said.json()["replies"][0]["status"])
            sent = upstream.last("rp-model").body
            shown = [ChatMessage(m["role"], m["content"]) for m in sent["messages"]]
            assert logic.estimate_prompt_tokens(shown) + sent["max_tokens"] <= window

    assert statuses == ["complete"] * 5
