"""Client-side tools through /v1/chat/completions with the official OpenAI SDK: `tools`
passed to the model, `tool_calls` returned in OpenAI's shape (whole and streamed), and
tool turns sent back reaching OpenAI- and Anthropic-style upstreams."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai import AsyncOpenAI

from tests.llm.test_openai_api import sdk, served
from tests.support.fake_upstream import FakeUpstream, tool_call

__all__ = ["sdk", "served"]

pytestmark = pytest.mark.asyncio

TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
PARALLEL = (
    tool_call("get_weather", {"city": "Oslo"}, "call_1"),
    tool_call("get_weather", {"city": "Rome"}, "call_2"),
)
ASK: list[Any] = [{"role": "user", "content": "Weather in Oslo and Rome?"}]


async def test_tool_calls_come_back_whole(sdk: AsyncOpenAI, upstream: FakeUpstream) -> None:
    upstream.script("model-b", tool_calls=PARALLEL)
    answer = await sdk.chat.completions.create(model="b", messages=ASK, tools=TOOLS)
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls or []
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("call_1", "get_weather", {"city": "Oslo"}),
        ("call_2", "get_weather", {"city": "Rome"}),
    ]
    assert upstream.last("model-b").body["tools"] == TOOLS


async def test_tool_calls_stream(sdk: AsyncOpenAI, upstream: FakeUpstream) -> None:
    upstream.script("model-b", tool_calls=PARALLEL)
    stream = await sdk.chat.completions.create(model="b", messages=ASK, tools=TOOLS, stream=True)
    calls: dict[int, dict[str, str]] = {}
    finish = None
    async for chunk in stream:
        if not chunk.choices:
            continue
        finish = chunk.choices[0].finish_reason or finish
        for delta in chunk.choices[0].delta.tool_calls or []:
            call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            call["id"] += delta.id or ""
            if delta.function is not None:
                call["name"] += delta.function.name or ""
                call["arguments"] += delta.function.arguments or ""
    assert finish == "tool_calls"
    assert [(c["id"], c["name"], json.loads(c["arguments"])) for c in calls.values()] == [
        ("call_1", "get_weather", {"city": "Oslo"}),
        ("call_2", "get_weather", {"city": "Rome"}),
    ]


@pytest.mark.parametrize(("model", "upstream_model"), [("b", "model-b"), ("c", "claude-c")])
async def test_tool_results_reach_the_model(
    sdk: AsyncOpenAI, upstream: FakeUpstream, model: str, upstream_model: str
) -> None:
    upstream.script(upstream_model, reply="Oslo is cold.")
    history: list[Any] = [
        *ASK,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "-3 C, snow"},
    ]
    answer = await sdk.chat.completions.create(model=model, messages=history, tools=TOOLS)
    assert answer.choices[0].message.content == "Oslo is cold."
    sent = upstream.last(upstream_model).body["messages"]
    if model == "b":
        assert sent[1]["tool_calls"][0]["function"]["name"] == "get_weather"
        assert sent[2] == {"role": "tool", "content": "-3 C, snow", "tool_call_id": "call_1"}
    else:
        assert sent[1]["content"][0]["type"] == "tool_use"
        assert sent[2]["content"] == [
            {"type": "tool_result", "tool_use_id": "call_1", "content": "-3 C, snow"}
        ]
