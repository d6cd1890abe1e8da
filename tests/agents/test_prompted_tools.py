"""Tool calls through the prompt, for a model without native ones (`tools-prompt`), against
the fake upstream: it is sent no `tools`, answers with the JSON the prompt asks for, and
the chat loop and /v1 see the same tool calls as from a native model (SQLite and
PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from cognitia.config import Settings
from cognitia.runtime import Runtime
from tests.agents.conftest import tool_catalogue
from tests.agents.test_chat_tools import character, say
from tests.chats.helpers import create_chat, named
from tests.conftest import make_settings
from tests.support.factories import user_with_token
from tests.support.fake_upstream import FakeUpstream

pytestmark = pytest.mark.asyncio

PROMPTED = """
[models.prompted]
provider = "fake"
upstream = "prompted-model"
context_window = 8192
capabilities = ["chat", "tools-prompt"]

[lanes]"""


@pytest.fixture
def settings(database_url: str, tmp_path: Path, upstream: FakeUpstream) -> Settings:
    """The tool tests' catalogue and a model `prompted` that takes tools in its prompt."""
    path = tmp_path / "models.toml"
    path.write_text(tool_catalogue(upstream).replace("[lanes]", PROMPTED, 1))
    return make_settings(database_url, tmp_path, llm={"catalogue_path": path})


def call(name: str, arguments: Any) -> str:
    return json.dumps({"tool": name, "arguments": arguments})


async def test_a_call_in_the_reply_runs_and_the_reply_goes_on(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    _, headers = await user_with_token(runtime, client)
    aria = await character(client, headers, model="prompted")
    chat = await create_chat(client, headers, aria["id"])
    upstream.script("prompted-model", reply=call("calculator", {"expression": "6*7"}))
    upstream.script("prompted-model", reply="It is 42.")

    events = await say(client, headers, chat["id"], "What is six times seven?")

    [called] = named(events, "tool.call")
    assert called["name"] == "calculator"
    assert json.loads(called["arguments"]) == {"expression": "6*7"}
    [result] = named(events, "tool.result")
    assert (result["ok"], result["result"]) == (True, "6*7 = 42")
    [completed] = named(events, "message.completed")
    assert completed["message"]["content"] == "It is 42."
    first, second = upstream.requests_for("prompted-model")[-2:]
    assert "tools" not in first.body
    assert "response_format" not in first.body, "no grammar over HTTP: the reply is parsed"
    system = first.body["messages"][0]["content"]
    assert "You can call tools." in system
    assert "- calculator: " in system
    assert "- current_time: " in system
    assert [m["role"] for m in second.body["messages"]][-3:] == ["user", "assistant", "user"]
    assert second.body["messages"][-1]["content"] == "Result of calculator: 6*7 = 42"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (call("launch_rockets", {"count": 3}), "unknown tool 'launch_rockets'"),
        (call("calculator", "6*"), "malformed arguments"),
        (call("calculator", {"expr": "6*7"}), "invalid arguments"),
    ],
)
async def test_a_bad_call_is_a_result_the_reply_goes_on_from(
    runtime: Runtime,
    client: httpx.AsyncClient,
    upstream: FakeUpstream,
    reply: str,
    expected: str,
) -> None:
    _, headers = await user_with_token(runtime, client)
    aria = await character(client, headers, model="prompted")
    chat = await create_chat(client, headers, aria["id"])
    upstream.script("prompted-model", reply=reply)
    upstream.script("prompted-model", reply="Sorry about that.")

    events = await say(client, headers, chat["id"], "Launch something")

    [result] = named(events, "tool.result")
    assert result["ok"] is False
    assert expected in result["result"]
    [completed] = named(events, "message.completed")
    assert completed["message"]["status"] == "complete"
    assert completed["message"]["content"] == "Sorry about that."


async def test_a_plain_answer_is_text(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    _, headers = await user_with_token(runtime, client)
    aria = await character(client, headers, model="prompted")
    chat = await create_chat(client, headers, aria["id"])
    upstream.script("prompted-model", reply="Hello, nothing to calculate here.")

    events = await say(client, headers, chat["id"], "Hi")

    assert named(events, "tool.call") == []
    [completed] = named(events, "message.completed")
    assert completed["message"]["content"] == "Hello, nothing to calculate here."


async def test_v1_returns_the_call_in_the_standard_shape(
    runtime: Runtime, client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    _, headers = await user_with_token(runtime, client)
    upstream.script("prompted-model", reply=call("get_weather", {"city": "Oslo"}))
    weather = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    body = {
        "model": "prompted",
        "messages": [{"role": "user", "content": "Weather in Oslo?"}],
        "tools": [weather],
    }

    response = await client.post("/v1/chat/completions", json=body, headers=headers)

    assert response.status_code == 200, response.text
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    [made] = choice["message"]["tool_calls"]
    assert made["type"] == "function"
    assert made["function"]["name"] == "get_weather"
    assert json.loads(made["function"]["arguments"]) == {"city": "Oslo"}
    assert "tools" not in upstream.last("prompted-model").body
