"""Over real HTTP: a client that leaves mid-reply loses nothing; stop keeps what was
generated, also when the stop reaches another API process than the one generating."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import ServerSentEvent, aconnect_sse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from cognitia.app import create_app
from cognitia.chats import live
from cognitia.chats import messages as chat_messages
from cognitia.chats.schemas import MessageCreate
from cognitia.config import Settings
from cognitia.models.message import Message, MessageStatus
from cognitia.runtime import Runtime
from tests.chats.conftest import fake_model_settings
from tests.chats.helpers import create_character, create_chat
from tests.support.apps import running_app
from tests.support.factories import bearer, create_user, login, runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream
from tests.support.live import live_server
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

STORY = " ".join(f"word{n}." for n in range(30))


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    app = create_app(settings)
    async with live_server(app) as url, httpx.AsyncClient(base_url=url, timeout=20) as http:
        yield http, app.state.runtime


async def chat_with_aria(http: httpx.AsyncClient, runtime: Runtime) -> tuple[dict[str, str], str]:
    user = await create_user(runtime)
    headers = bearer((await login(http, user.email))["access_token"])
    aria = await create_character(runtime, owner=user)
    chat = await create_chat(http, headers, aria.id)
    return headers, chat["id"]


async def stored(runtime: Runtime, message_id: str) -> Message | None:
    async with runtime.db.read() as session:
        return await session.get(Message, message_id)


async def until_tokens(events: AsyncIterator[ServerSentEvent], count: int) -> dict[str, Any]:
    """Read up to the `count`-th token; the reply's message.created data."""
    reply: dict[str, Any] = {}
    seen = 0
    async for sse in events:
        if sse.event == "message.created" and sse.json()["message"]["author_type"] == "character":
            reply = sse.json()["message"]
        if sse.event == "token":
            seen += 1
            if seen == count:
                return reply
    raise AssertionError("the stream ended early")


async def test_a_client_that_disconnects_still_gets_the_whole_reply_saved(
    chat_settings: Settings, upstream: FakeUpstream
) -> None:
    upstream.script("rp-model", reply=STORY, token_delay=0.01)
    async with serving(chat_settings) as (http, runtime):
        headers, chat_id = await chat_with_aria(http, runtime)
        url = f"/api/v2/chats/{chat_id}/messages"
        async with aconnect_sse(
            http, "POST", url, json={"content": "Tell"}, headers=headers
        ) as sse:
            reply = await until_tokens(sse.aiter_sse(), 1)
        # The connection is closed here, after one token of thirty.

        async def saved_in_full() -> bool:
            message = await stored(runtime, reply["id"])
            return message is not None and message.status == MessageStatus.COMPLETE

        await eventually(saved_in_full)
        message = await stored(runtime, reply["id"])
        assert message is not None
        assert message.content == STORY
        assert upstream.last("rp-model").completed


async def test_stop_keeps_what_was_generated(
    chat_settings: Settings, upstream: FakeUpstream
) -> None:
    upstream.script("rp-model", reply="One two three four five", stall_after=3)
    async with serving(chat_settings) as (http, runtime):
        headers, chat_id = await chat_with_aria(http, runtime)
        url = f"/api/v2/chats/{chat_id}/messages"
        async with aconnect_sse(
            http, "POST", url, json={"content": "Count"}, headers=headers
        ) as sse:
            events = sse.aiter_sse()
            reply = await until_tokens(events, 3)  # then the model goes quiet

            stop = await http.post(f"{url}/{reply['id']}/stop", headers=headers)
            rest = [(e.event, e.json()) async for e in events]

        assert stop.status_code == 200, stop.text
        body = stop.json()
        assert body["forwarded"] is False
        assert (body["message"]["status"], body["message"]["content"]) == (
            "stopped",
            "One two three",
        )
        assert [name for name, _ in rest] == ["sentence", "message.completed"]
        assert rest[1][1]["message"]["status"] == "stopped"
        message = await stored(runtime, reply["id"])
        assert message is not None
        assert (message.status, message.content) == (MessageStatus.STOPPED, "One two three")
        again = await http.post(f"{url}/{reply['id']}/stop", headers=headers)
        assert again.json()["message"]["status"] == "stopped"

        async def upstream_hung_up() -> bool:
            return upstream.last("rp-model").disconnected

        await eventually(upstream_hung_up)


async def test_a_stop_sent_to_another_process_stops_the_reply(
    database_url: str, tmp_path: Path, redis_url: str, upstream: FakeUpstream
) -> None:
    settings = fake_model_settings(
        database_url, tmp_path, upstream, redis_url=redis_url, jobs={"backend": "embedded"}
    )
    upstream.script("rp-model", reply="One two three four five", stall_after=2)
    async with serving(settings) as (first, runtime), serving(settings) as (second, _):
        headers, chat_id = await chat_with_aria(first, runtime)
        url = f"/api/v2/chats/{chat_id}/messages"
        async with aconnect_sse(first, "POST", url, json={"content": "Go"}, headers=headers) as sse:
            events = sse.aiter_sse()
            reply = await until_tokens(events, 2)

            stop = await second.post(f"{url}/{reply['id']}/stop", headers=headers)
            rest = [(e.event, e.json()) async for e in events]

        assert stop.status_code == 200, stop.text
        assert stop.json()["forwarded"] is True
        completed = rest[-1]
        assert completed[0] == "message.completed"
        assert (completed[1]["message"]["status"], completed[1]["message"]["content"]) == (
            "stopped",
            "One two",
        )
        async with runtime.db.read() as session:
            rows = (await session.scalars(select(Message).where(Message.id == reply["id"]))).all()
        assert [(m.status, m.content) for m in rows] == [(MessageStatus.STOPPED, "One two")]


async def test_replies_running_at_shutdown_are_saved_as_interrupted(
    chat_settings: Settings, database_url: str, upstream: FakeUpstream
) -> None:
    upstream.script("rp-model", reply="One two three four", stall_after=2)
    async with running_app(chat_settings) as (app, client):
        runtime = runtime_of(app)
        user, headers = await user_with_token(runtime, client)
        aria = await create_character(runtime, owner=user)
        chat = await create_chat(client, headers, aria.id)
        turn = await chat_messages.send(
            runtime.db,
            runtime.generations,
            user=user,
            chat_id=chat["id"],
            data=MessageCreate(content="Go"),
        )
        tokens = 0
        async for item in turn.events():
            tokens += isinstance(item, live.Token)
            if tokens == 2:
                break
    # The app has shut down, with the model still silent after two tokens.

    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(Message.status, Message.content, Message.error).where(
                        Message.chat_id == chat["id"], Message.author_type == "character"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    assert [(status, content) for status, content, _ in rows] == [(MessageStatus.ERROR, "One two")]
    assert rows[0][2].startswith("interrupted")
