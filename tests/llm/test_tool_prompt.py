"""The prompt format of tool calls for models without native ones: the request a
`tools-prompt` model gets, the schema that constrains it on llama.cpp, and the parse of
its reply back into ToolCall events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence

import jsonschema
import pytest

from cognitia.llm import tool_prompt
from cognitia.llm.ports import (
    ChatMessage,
    ChatRequest,
    Finish,
    StreamEvent,
    TextDelta,
    ToolCall,
    Usage,
)

CALCULATOR = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Arithmetic.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string"}},
            "required": ["expression"],
            "additionalProperties": False,
        },
    },
}
CLOCK = {
    "type": "function",
    "function": {"name": "current_time", "description": "The time.", "parameters": {}},
}
TOOLS = [CALCULATOR, CLOCK]


@pytest.mark.parametrize(
    ("reply", "name", "arguments"),
    [
        (
            '{"tool": "calculator", "arguments": {"expression": "6*7"}}',
            "calculator",
            '{"expression": "6*7"}',
        ),
        ('```json\n{"tool": "current_time", "arguments": {}}\n```', "current_time", "{}"),
        ('```{"tool": "current_time", "arguments": {}}```', "current_time", "{}"),
        ('  {"tool": "current_time"} and then I will tell you', "current_time", "{}"),
        ('{"tool": "calculator", "arguments": "6*"}', "calculator", "6*"),
        ('{"tool": "launch_rockets", "arguments": {"count": 3}}', "launch_rockets", '{"count": 3}'),
    ],
)
def test_a_reply_naming_a_tool_is_a_call(reply: str, name: str, arguments: str) -> None:
    text, call = tool_prompt.parse(reply)
    assert text == ""
    assert call is not None
    assert (call.name, call.arguments) == (name, arguments)
    assert call.id.startswith("call_")


@pytest.mark.parametrize(
    ("reply", "text"),
    [
        ("It is 42.", "It is 42."),
        ('{"answer": "It is 42."}', "It is 42."),
        ('{"tool": "calculator", "arguments": {', '{"tool": "calculator", "arguments": {'),
        ('{"mood": "happy"}', '{"mood": "happy"}'),
        ('I would call {"tool": "calculator"}', 'I would call {"tool": "calculator"}'),
    ],
)
def test_anything_else_is_the_answer(reply: str, text: str) -> None:
    assert tool_prompt.parse(reply) == (text, None)


def test_the_request_carries_the_tools_in_its_system_prompt() -> None:
    request = ChatRequest(
        messages=[ChatMessage("system", "You are Aria."), ChatMessage("user", "6*7?")],
        tools=TOOLS,
        prompt="raw text",
    )

    prompted = tool_prompt.prepare(request, constrained=False)

    assert prompted.tools is None
    assert prompted.prompt is None
    assert prompted.response_format is None
    system = prompted.messages[0].content
    assert system.startswith("You are Aria.\n\nYou can call tools.")
    assert '{"tool": "<tool name>", "arguments": {<its arguments>}}' in system
    assert "reply in plain text" in system
    assert '- calculator: Arithmetic. Arguments (JSON schema): {"type":"object"' in system
    assert "- current_time: The time." in system
    assert prompted.messages[1:] == request.messages[1:]


def test_earlier_calls_and_results_are_written_as_text() -> None:
    call = ToolCall("c1", "calculator", '{"expression": "6*7"}')
    request = ChatRequest(
        messages=[
            ChatMessage("user", "6*7?"),
            ChatMessage("assistant", "Let me see.", tool_calls=(call,)),
            ChatMessage("tool", "6*7 = 42", tool_call_id="c1"),
        ],
        tools=TOOLS,
    )

    prompted = tool_prompt.prepare(request, constrained=False)

    assert prompted.messages[0].role == "system"
    assert [(m.role, m.content, m.tool_calls) for m in prompted.messages[1:]] == [
        ("user", "6*7?", ()),
        (
            "assistant",
            'Let me see.\n{"tool": "calculator", "arguments": {"expression": "6*7"}}',
            (),
        ),
        ("user", "Result of calculator: 6*7 = 42", ()),
    ]


def test_constrained_replies_are_a_call_with_valid_arguments_or_an_answer() -> None:
    prompted = tool_prompt.prepare(
        ChatRequest(messages=[ChatMessage("user", "hi")], tools=TOOLS), constrained=True
    )
    assert prompted.response_format is not None
    schema = prompted.response_format["json_schema"]["schema"]
    assert 'reply {"answer": "<your answer>"}' in prompted.messages[0].content

    jsonschema.validate({"tool": "calculator", "arguments": {"expression": "1"}}, schema)
    jsonschema.validate({"tool": "current_time", "arguments": {}}, schema)
    jsonschema.validate({"answer": "Hello"}, schema)
    for wrong in (
        {"tool": "launch_rockets", "arguments": {}},
        {"tool": "calculator", "arguments": {"expr": "1"}},
        {"answer": "Hello", "tool": "calculator"},
        {"text": "Hello"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, schema)


def test_llama_cpp_builds_a_grammar_from_the_schema() -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    schema = tool_prompt.response_schema(TOOLS)
    grammar = llama_cpp.LlamaGrammar.from_json_schema(json.dumps(schema), verbose=True)
    assert '"\\"calculator\\""' in grammar._grammar


async def events_of(pieces: Sequence[StreamEvent]) -> AsyncIterator[StreamEvent]:
    for piece in pieces:
        yield piece


async def parsed(pieces: Sequence[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in tool_prompt.parsed(events_of(pieces))]


@pytest.mark.asyncio
async def test_a_streamed_call_comes_out_as_one_tool_call_before_usage() -> None:
    reply = '{"tool": "calculator", "arguments": {"expression": "6*7"}}'
    pieces: list[StreamEvent] = [TextDelta(reply[i : i + 7]) for i in range(0, len(reply), 7)]

    events = await parsed([*pieces, Usage(10, 9), Finish("stop")])

    assert len(events) == 3
    call, usage, finish = events
    assert isinstance(call, ToolCall)
    assert (call.name, call.arguments) == ("calculator", '{"expression": "6*7"}')
    assert (usage, finish) == (Usage(10, 9), Finish("tool_calls"))


@pytest.mark.asyncio
async def test_plain_text_streams_as_it_comes() -> None:
    events = await parsed(
        [TextDelta(" "), TextDelta("It is"), TextDelta(" 42."), Usage(3, 3), Finish("stop")]
    )
    assert events == [
        TextDelta(" It is"),
        TextDelta(" 42."),
        Usage(3, 3),
        Finish("stop"),
    ]


@pytest.mark.asyncio
async def test_a_constrained_answer_is_its_text() -> None:
    events = await parsed([TextDelta('{"answer": '), TextDelta('"Hi!"}'), Finish("stop")])
    assert events == [TextDelta("Hi!"), Finish("stop")]


@pytest.mark.asyncio
async def test_closing_the_parsed_stream_closes_the_providers() -> None:
    closed = asyncio.Event()

    async def provider() -> AsyncIterator[StreamEvent]:
        try:
            yield TextDelta("Once upon")
            yield TextDelta(" a time")
        finally:
            closed.set()

    stream = tool_prompt.parsed(provider())
    assert await anext(stream) == TextDelta("Once upon")
    await stream.aclose()  # a stop, or a client gone

    assert closed.is_set()
