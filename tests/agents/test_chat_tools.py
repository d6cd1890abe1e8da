"""The chat loop with tools, against the fake upstream's real tool-call streams (OpenAI and
Anthropic shapes): calls run, results go back to the model, `tool.call` and `tool.result`
stream, the calls are stored with the reply; unknown tools and malformed arguments are
results the reply goes on from, never a 500 (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from cognitia.runtime import Runtime
from tests.chats.helpers import create_chat, messages, named, stream
from tests.support.factories import user_with_token
from tests.support.fake_upstream import FakeUpstream, tool_call

pytestmark = pytest.mark.asyncio


async def character(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    body = {"name": "Aria", "tools": ["calculator", "current_time"], **fields}
    response = await client.post("/api/v2/characters", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def say(
    client: httpx.AsyncClient, headers: dict[str, str], chat_id: str, text: str
) -> list[tuple[str, dict[str, Any]]]:
    url = f"/api/v2/chats/{chat_id}/messages"
    return await stream(client, url, headers, {"content": text})


@pytest.mark.parametrize(
    ("model", "upstream_model"), [(None, "rp-model"), ("claude", "claude-model")]
)
async def test_calls_run_and_the_reply_goes_on(
    runtime: Runtime,
    client: httpx.AsyncClient,
    upstream: FakeUpstream,
    model: str | None,
    upstream_model: str,
) -> None:
    _, headers = await user_with_token(runtime, client)
    aria = await character(client, headers, model=model)
    chat = await create_chat(client, headers, aria["id"])
    calls = (
        tool_call("calculator", {"expression": "6*7"}, "c1"),
        tool_call("launch_rockets", {"count": 3}, "c2"),
        tool_call("calculator", '{"expression": "6*', "c3"),
    )
    upstream.script(upstream_model, reply="Let me see.", tool_calls=calls)
    upstream.script(upstream_model, reply=" It is 42.")

    events = await say(client, headers, chat["id"], "What is six times seven?")

    called = named(events, "tool.call")
    assert [(c["id"], c["name"]) for c in called] == [
        ("c1", "calculator"),
        ("c2", "launch_rockets"),
        ("c3", "calculator"),
    ]
    assert json.loads(called[0]["arguments"]) == {"expression": "6*7"}
    results = named(events, "tool.result")
    assert [(r["id"], r["ok"]) for r in results] == [("c1", True), ("c2", False), ("c3", False)]
    assert results[0]["result"] == "6*7 = 42"
    assert "unknown tool 'launch_rockets'" in results[1]["result"]
    assert results[2]["result"].startswith("malformed arguments")
    [completed] = named(events, "message.completed")
    reply = completed["message"]
    assert (reply["status"], reply["content"]) == ("complete", "Let me see. It is 42.")
    assert [(c["name"], c["ok"]) for c in reply["tool_calls"]] == [
        ("calculator", True),
        ("launch_rockets", False),
        ("calculator", False),
    ]
    stored = (await messages(client, chat["id"], headers))[-1]
    assert stored["tool_calls"] == reply["tool_calls"]

    first, second = upstream.requests_for(upstream_model)[-2:]
    names = [t.get("name") or t["function"]["name"] for t in first.body["tools"]]
    assert names == ["calculator", "current_time"]
    sent = json.dumps(second.body["messages"])
    assert "6*7 = 42" in sent
    assert "unknown tool 'launch_rockets'" in sent


async def test_no_tools_for_a_model_without_the_capability(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    _, headers = await user_with_token(runtime, client)
    aria = await character(client, headers, model="alpha")
    chat = await create_chat(client, headers, aria["id"])
    upstream.script("alpha-model", reply="Hello.")
    events = await say(client, headers, chat["id"], "Hi")
    assert named(events, "tool.call") == []
    assert "tools" not in upstream.last("alpha-model").body


@pytest.mark.parametrize("tool_settings", [{"max_rounds": 2}])
async def test_rounds_are_bounded(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    _, headers = await user_with_token(runtime, client)
    aria = await character(client, headers)
    chat = await create_chat(client, headers, aria["id"])
    again = (tool_call("current_time", {}),)
    upstream.script("rp-model", tool_calls=again, times=2)
    upstream.script("rp-model", reply="Enough clocks.", tool_calls=again)

    events = await say(client, headers, chat["id"], "What time is it, again and again?")

    assert len(named(events, "tool.result")) == 2
    bodies = [r.body for r in upstream.requests_for("rp-model")]
    assert ["tools" in b for b in bodies] == [True, True, False]
    [completed] = named(events, "message.completed")
    assert completed["message"]["content"] == "Enough clocks."
    assert completed["message"]["status"] == "complete"
