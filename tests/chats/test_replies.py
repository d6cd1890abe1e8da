"""Sending a message: the reply as SSE events or as JSON, sentences, usage, failures."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cognitia.models.llm_call import LlmCall
from cognitia.runtime import Runtime
from tests.chats.helpers import create_character, create_chat, messages, named, stream
from tests.support.factories import runtime_of, user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

App = tuple[FastAPI, httpx.AsyncClient]
JSON = {"Accept": "application/json"}


async def one_to_one(chat_app: App, **character: Any) -> tuple[Runtime, dict[str, str], str]:
    """A user, a character of theirs without a greeting, and their chat."""
    app, client = chat_app
    runtime = runtime_of(app)
    user, headers = await user_with_token(runtime, client)
    aria = await create_character(runtime, owner=user, **character)
    chat = await create_chat(client, headers, aria.id)
    return runtime, headers, chat["id"]


async def test_the_reply_streams_as_documented_events(
    chat_app: App, upstream: FakeUpstream
) -> None:
    runtime, headers, chat_id = await one_to_one(chat_app, description="A cheerful guide.")
    client = chat_app[1]
    upstream.script("rp-model", reply="Hello there. How are you? Fine.", prompt_tokens=42)

    events = await stream(
        client, f"/api/v2/chats/{chat_id}/messages", headers, {"content": "Hi Aria"}
    )

    assert [name for name, _ in events] == [
        "message.created",
        "message.created",
        "token",
        "token",
        "token",
        "sentence",
        "token",
        "token",
        "token",
        "sentence",
        "sentence",
        "message.completed",
    ]
    mine, reply = (data["message"] for data in named(events, "message.created"))
    assert (mine["author_type"], mine["content"], mine["seq"], mine["name"]) == (
        "user",
        "Hi Aria",
        1,
        "Test",
    )
    assert (reply["author_type"], reply["name"], reply["seq"], reply["status"]) == (
        "character",
        "Aria",
        2,
        "streaming",
    )
    tokens = named(events, "token")
    assert {t["message_id"] for t in tokens} == {reply["id"]}
    assert "".join(t["text"] for t in tokens) == "Hello there. How are you? Fine."
    assert [(s["index"], s["text"]) for s in named(events, "sentence")] == [
        (0, "Hello there."),
        (1, "How are you?"),
        (2, "Fine."),
    ]
    [completed] = named(events, "message.completed")
    final = completed["message"]
    assert (final["id"], final["status"], final["model"]) == (reply["id"], "complete", "rp")
    assert final["content"] == "Hello there. How are you? Fine."
    assert completed["usage"] == {"prompt_tokens": 42, "completion_tokens": 6, "total_tokens": 48}

    stored = await messages(client, chat_id, headers)
    assert [(m["content"], m["status"]) for m in stored] == [
        ("Hi Aria", "complete"),
        ("Hello there. How are you? Fine.", "complete"),
    ]
    sent = upstream.last("rp-model").body
    assert "Hi Aria" in sent["messages"][-1]["content"]
    assert any("A cheerful guide." in m["content"] for m in sent["messages"])
    await runtime.usage.drain()
    async with runtime.db.unit_of_work() as session:
        [call] = (await session.scalars(select(LlmCall))).all()
    assert (call.chat_id, call.character_id, call.model) == (chat_id, reply["character_id"], "rp")
    assert call.lane == "roleplay"


async def test_without_sse_the_finished_reply_comes_as_json(
    chat_app: App, upstream: FakeUpstream
) -> None:
    _, headers, chat_id = await one_to_one(chat_app)
    client = chat_app[1]
    upstream.script("rp-model", reply="A whole answer.", times=2)
    url = f"/api/v2/chats/{chat_id}/messages"

    response = await client.post(url, json={"content": "Hi"}, headers={**headers, **JSON})
    bare = await client.post(url, json={"content": "Again"}, headers=headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user_message"]["content"] == "Hi"
    [reply] = body["replies"]
    assert (reply["content"], reply["status"], reply["seq"]) == ("A whole answer.", "complete", 2)
    assert reply["usage"]["completion_tokens"] == 3
    assert bare.status_code == 200
    assert bare.json()["replies"][0]["seq"] == 4


@pytest.mark.parametrize(
    ("status", "code"), [(503, "models_unavailable"), (400, "upstream_rejected")]
)
async def test_a_model_failing_before_the_first_token(
    chat_app: App, upstream: FakeUpstream, status: int, code: str
) -> None:
    _, headers, chat_id = await one_to_one(chat_app)
    client = chat_app[1]
    url = f"/api/v2/chats/{chat_id}/messages"
    upstream.script("rp-model", status=status, times=2)

    events = await stream(client, url, headers, {"content": "Hi"})
    response = await client.post(url, json={"content": "Hi"}, headers={**headers, **JSON})

    assert [name for name, _ in events] == [
        "message.created",
        "message.created",
        "error",
        "message.completed",
    ]
    reply = named(events, "message.created")[1]["message"]
    [error] = named(events, "error")
    assert error["message_id"] == reply["id"]
    assert (error["error"], error["partial_text"]) == (code, "")
    assert response.status_code == (503 if status == 503 else 502)
    assert response.json()["error"] == code
    stored = await messages(client, chat_id, headers)
    assert [(m["author_type"], m["status"], m["content"]) for m in stored] == [
        ("user", "complete", "Hi"),
        ("character", "error", ""),
        ("user", "complete", "Hi"),
        ("character", "error", ""),
    ]
    assert stored[1]["error"].startswith(code)


async def test_a_model_failing_after_the_first_token_keeps_the_partial_text(
    chat_app: App, upstream: FakeUpstream
) -> None:
    _, headers, chat_id = await one_to_one(chat_app)
    client = chat_app[1]
    url = f"/api/v2/chats/{chat_id}/messages"
    upstream.script("rp-model", reply="One two three four", fail_after=2, times=2)

    events = await stream(client, url, headers, {"content": "Count"})
    response = await client.post(url, json={"content": "Count"}, headers={**headers, **JSON})

    [error] = named(events, "error")
    assert (error["error"], error["partial_text"]) == ("upstream_failed", "One two")
    [completed] = named(events, "message.completed")
    assert (completed["message"]["status"], completed["message"]["content"]) == (
        "error",
        "One two",
    )
    assert response.status_code == 200
    [reply] = response.json()["replies"]
    assert (reply["status"], reply["content"]) == ("error", "One two")
    stored = await messages(client, chat_id, headers)
    assert [m["content"] for m in stored if m["author_type"] == "character"] == [
        "One two",
        "One two",
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"content": ""},
        {"content": "   \n"},
        {"content": "x" * 32_001},
        {"content": "nul \x00 inside"},
        {},
        {"content": "hi", "surprise": True},
    ],
)
async def test_bad_messages_are_refused(
    chat_app: App, upstream: FakeUpstream, body: dict[str, Any]
) -> None:
    _, headers, chat_id = await one_to_one(chat_app)
    client = chat_app[1]

    response = await client.post(f"/api/v2/chats/{chat_id}/messages", json=body, headers=headers)

    assert response.status_code == 422
    assert await messages(client, chat_id, headers) == []
    assert upstream.requests == []


async def test_the_longest_allowed_message_is_accepted(
    chat_app: App, upstream: FakeUpstream
) -> None:
    _, headers, chat_id = await one_to_one(chat_app)
    client = chat_app[1]
    upstream.script("rp-model", reply="Long indeed.")

    response = await client.post(
        f"/api/v2/chats/{chat_id}/messages",
        json={"content": "x" * 32_000},
        headers={**headers, **JSON},
    )

    assert response.status_code == 200, response.text
