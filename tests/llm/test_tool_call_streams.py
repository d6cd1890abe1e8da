"""Tool calls streamed by the fake upstream in OpenAI's and Anthropic's real shapes,
parsed by each provider into complete ToolCall events; and tool turns sent back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from pydantic import SecretStr

from cognitia.llm.catalogue import ProviderConfig
from cognitia.llm.ports import (
    ChatMessage,
    ChatModel,
    ChatRequest,
    Finish,
    StreamEvent,
    TextDelta,
    ToolCall,
)
from cognitia.llm.providers.anthropic import AnthropicMessages
from cognitia.llm.providers.openai_compat import OpenAICompatible
from tests.support.fake_upstream import FakeUpstream, tool_call

pytestmark = pytest.mark.asyncio

MODEL = "tool-model"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "calculator",
            "description": "Arithmetic.",
            "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}},
        },
    }
]
ASK = ChatRequest(messages=[ChatMessage("user", "what is 2+3?")], tools=TOOLS)


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


@pytest_asyncio.fixture(params=["openai", "anthropic"])
async def provider(
    request: pytest.FixtureRequest, upstream: FakeUpstream
) -> AsyncIterator[ChatModel]:
    upstream.reset()
    model: OpenAICompatible | AnthropicMessages
    if request.param == "openai":
        config = ProviderConfig(type="openai", base_url=upstream.openai_url, api_key=SecretStr("k"))
        model = OpenAICompatible("fake-openai", config)
    else:
        config = ProviderConfig(type="anthropic", base_url=upstream.url, api_key=SecretStr("k"))
        model = AnthropicMessages("fake-anthropic", config)
    yield model
    await model.close()


async def collect(model: ChatModel, request: ChatRequest = ASK) -> list[StreamEvent]:
    return [event async for event in model.stream(request, model=MODEL)]


def calls(events: list[StreamEvent]) -> list[ToolCall]:
    return [e for e in events if isinstance(e, ToolCall)]


async def test_a_single_call(upstream: FakeUpstream, provider: ChatModel) -> None:
    upstream.script(MODEL, tool_calls=(tool_call("calculator", {"expression": "2+3"}, "c1"),))
    events = await collect(provider)
    (call,) = calls(events)
    assert (call.id, call.name, json.loads(call.arguments)) == (
        "c1",
        "calculator",
        {"expression": "2+3"},
    )
    assert events[-1] == Finish("tool_calls")
    assert not [e for e in events if isinstance(e, TextDelta)]


async def test_parallel_calls_keep_their_order(upstream: FakeUpstream, provider: ChatModel) -> None:
    scripted = (
        tool_call("calculator", {"expression": "1+1"}, "a"),
        tool_call("current_time", {}, "b"),
        tool_call("calculator", {"expression": "9*9"}, "c"),
    )
    upstream.script(MODEL, reply="Let me check.", tool_calls=scripted)
    events = await collect(provider)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Let me check."
    got = calls(events)
    assert [(c.id, c.name) for c in got] == [
        ("a", "calculator"),
        ("b", "current_time"),
        ("c", "calculator"),
    ]
    assert [json.loads(c.arguments) for c in got] == [
        {"expression": "1+1"},
        {},
        {"expression": "9*9"},
    ]


async def test_malformed_arguments_arrive_as_written(
    upstream: FakeUpstream, provider: ChatModel
) -> None:
    upstream.script(MODEL, tool_calls=(tool_call("calculator", '{"expression": "2+', "m"),))
    (call,) = calls(await collect(provider))
    assert call.arguments == '{"expression": "2+'


async def test_an_unknown_tool_name_is_passed_on(
    upstream: FakeUpstream, provider: ChatModel
) -> None:
    upstream.script(MODEL, tool_calls=(tool_call("launch_rockets", {"count": 3}, "x"),))
    (call,) = calls(await collect(provider))
    assert call.name == "launch_rockets"


async def test_tools_and_tool_turns_are_sent_in_the_vendor_shape(
    upstream: FakeUpstream, provider: ChatModel
) -> None:
    call = ToolCall("c9", "calculator", '{"expression": "2+3"}')
    request = ChatRequest(
        messages=[
            ChatMessage("system", "Be brief."),
            ChatMessage("user", "what is 2+3?"),
            ChatMessage("assistant", "", tool_calls=(call,)),
            ChatMessage("tool", "5", tool_call_id="c9"),
        ],
        tools=TOOLS,
    )
    upstream.script(MODEL, reply="It is 5.")
    events = await collect(provider, request)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "It is 5."
    body = upstream.last(MODEL).body
    if isinstance(provider, OpenAICompatible):
        assert body["tools"] == TOOLS
        assistant, tool = body["messages"][2], body["messages"][3]
        assert assistant["tool_calls"][0]["function"] == {
            "name": "calculator",
            "arguments": '{"expression": "2+3"}',
        }
        assert tool == {"role": "tool", "content": "5", "tool_call_id": "c9"}
    else:
        assert body["tools"][0]["name"] == "calculator"
        assert body["tools"][0]["input_schema"]["properties"] == {"expression": {"type": "string"}}
        assistant, result = body["messages"][1], body["messages"][2]
        assert assistant["content"] == [
            {"type": "tool_use", "id": "c9", "name": "calculator", "input": {"expression": "2+3"}}
        ]
        assert result == {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "c9", "content": "5"}],
        }
