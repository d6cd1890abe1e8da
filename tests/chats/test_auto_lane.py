"""A character on `lane/auto` in a chat: each reply's lane is picked from the chat (the
person's latest message), and the usage row says which and why (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cognitia.config import Settings
from cognitia.models.llm_call import LlmCall
from cognitia.runtime import Runtime
from tests.chats.conftest import catalogue_text
from tests.chats.helpers import create_character, create_chat, named, stream
from tests.conftest import make_settings
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

App = tuple[FastAPI, httpx.AsyncClient]


@pytest.fixture
def chat_settings(database_url: str, tmp_path: Path, upstream: FakeUpstream) -> Settings:
    """The chats catalogue with the code lane on model alpha (chat stays on rp)."""
    path = tmp_path / "models.toml"
    path.write_text(catalogue_text(upstream).replace("[lanes]\n", '[lanes]\ncode = ["alpha"]\n'))
    return make_settings(database_url, tmp_path, llm={"catalogue_path": path})


async def routed_rows(runtime: Runtime) -> list[tuple[str | None, str | None, str]]:
    await runtime.usage.drain()
    async with runtime.db.unit_of_work() as session:
        rows = (await session.scalars(select(LlmCall))).all()
    return sorted((r.routed_lane, r.route_reason, r.model) for r in rows)


async def test_each_reply_is_routed_from_the_latest_message(
    chat_app: App, upstream: FakeUpstream
) -> None:
    app, client = chat_app
    runtime = runtime_of(app)
    user, headers = await user_with_token(runtime, client)
    guide = await create_character(runtime, owner=user, name="Guide", model="lane/auto")
    chat = await create_chat(client, headers, guide.id)
    url = f"/api/v2/chats/{chat['id']}/messages"
    upstream.script("alpha-model", reply="def add(a, b): return a + b")
    upstream.script("rp-model", reply="Glad to help!")

    coded = await stream(client, url, headers, {"content": "Write a function that adds numbers"})
    thanked = await stream(client, url, headers, {"content": "Thanks, that is lovely"})

    [first] = named(coded, "message.completed")
    [second] = named(thanked, "message.completed")
    assert first["message"]["content"] == "def add(a, b): return a + b"
    assert second["message"]["content"] == "Glad to help!"
    assert await routed_rows(runtime) == [
        ("chat", "chat: no rule matched", "rp"),
        ("code", "code: asks to write or fix code", "alpha"),
    ]
