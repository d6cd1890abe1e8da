"""Tool calls for models without native ones: a documented prompt format (docs/tools.md).

A model whose catalogue entry has the `tools-prompt` capability (and not `tools`) gets a
request's tools described in its system prompt instead of a `tools` field. It calls one by
answering with only `{"tool": "<name>", "arguments": {...}}`; anything else is its answer.
Earlier calls and results are written into the conversation as text, since such a model
knows no `tool` role. Where the model runs on the embedded llama.cpp runner, the reply is
constrained by a JSON schema (llama.cpp turns it into a grammar): exactly one of the tool
calls, with arguments of that tool's schema, or `{"answer": "..."}`. The reply is parsed
back into the same ToolCall events a native call streams as, so nothing after the model
layer knows the difference.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

from cognitia.kit.ids import new_id
from cognitia.llm.ports import ChatMessage, ChatRequest, Finish, StreamEvent, TextDelta, ToolCall

TOOLS_PROMPT = "tools-prompt"
# Native tool calls: a model with both uses them.
TOOLS = "tools"
_FENCE = "```"

_INSTRUCTIONS = """You can call tools. To call one, reply with only this JSON object and \
nothing else:
{"tool": "<tool name>", "arguments": {<its arguments>}}
The tool's result comes back in the next message; then answer. {answer}
Tools:
"""
_ANSWER_FREE = "To answer without a tool, reply in plain text."
_ANSWER_JSON = 'To answer without a tool, reply {"answer": "<your answer>"}.'


def emulated_for(capabilities: Sequence[str]) -> bool:
    """Whether tools go through the prompt for a model with these capabilities."""
    return TOOLS_PROMPT in capabilities and TOOLS not in capabilities


def offers_tools(capabilities: Sequence[str]) -> bool:
    """Whether a model can be offered tools at all, natively or through the prompt."""
    return TOOLS in capabilities or TOOLS_PROMPT in capabilities


def _functions(tools: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [tool["function"] for tool in tools if tool.get("type") == "function"]


def instructions(tools: Sequence[dict[str, Any]], *, constrained: bool) -> str:
    """The system prompt's tool section."""
    lines = [_INSTRUCTIONS.replace("{answer}", _ANSWER_JSON if constrained else _ANSWER_FREE)]
    for function in _functions(tools):
        parameters = json.dumps(function.get("parameters") or {}, separators=(",", ":"))
        described = function.get("description") or ""
        lines.append(f"- {function['name']}: {described} Arguments (JSON schema): {parameters}\n")
    return "".join(lines).rstrip()


def response_schema(tools: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One of the tools with its own arguments, or an answer: the grammar's schema."""
    calls = [
        {
            "type": "object",
            "properties": {
                "tool": {"const": function["name"]},
                "arguments": function.get("parameters") or {"type": "object"},
            },
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        }
        for function in _functions(tools)
    ]
    answer = {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    return {"anyOf": [*calls, answer]}


def prepare(request: ChatRequest, *, constrained: bool) -> ChatRequest:
    """The request as a model without native tool calls takes it."""
    tools = request.tools or []
    section = instructions(tools, constrained=constrained)
    messages = _as_text_turns(request.messages)
    if messages and messages[0].role == "system":
        messages[0] = replace(messages[0], content=f"{messages[0].content}\n\n{section}")
    else:
        messages.insert(0, ChatMessage("system", section))
    response_format = request.response_format
    if constrained:
        schema = {"name": "tool_or_answer", "schema": response_schema(tools)}
        response_format = {"type": "json_schema", "json_schema": schema}
    return replace(
        request, messages=messages, tools=None, prompt=None, response_format=response_format
    )


def _as_text_turns(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """Calls as the JSON the model would write, results as user turns naming the tool."""
    names: dict[str, str] = {}
    turns: list[ChatMessage] = []
    for message in messages:
        if message.tool_calls:
            written = [_written(call) for call in message.tool_calls]
            names.update({call.id: call.name for call in message.tool_calls})
            content = "\n".join([message.content, *written]).strip()
            turns.append(ChatMessage("assistant", content, name=message.name))
        elif message.role == "tool":
            name = names.get(message.tool_call_id or "", "the tool")
            turns.append(ChatMessage("user", f"Result of {name}: {message.content}"))
        else:
            turns.append(message)
    return turns


def _written(call: ToolCall) -> str:
    try:
        arguments: Any = json.loads(call.arguments)
    except ValueError:
        arguments = call.arguments
    return json.dumps({"tool": call.name, "arguments": arguments})


def parse(text: str) -> tuple[str, ToolCall | None]:
    """The answer's text, or the tool call it is. A reply that starts with a JSON object
    (fenced or not) naming a `tool` is a call, its `arguments` passed on as JSON text for
    the tool loop to check (a string or a missing object included: the loop reports it);
    `{"answer": ...}` is that text; anything else is the answer as written."""
    body = _unfenced(text.strip())
    if not body.startswith("{"):
        return text, None
    try:
        value, _ = json.JSONDecoder().raw_decode(body)
    except ValueError:
        return text, None
    if isinstance(value, dict) and isinstance(value.get("tool"), str):
        arguments = value.get("arguments", {})
        written = arguments if isinstance(arguments, str) else json.dumps(arguments)
        return "", ToolCall(id=f"call_{new_id()}", name=value["tool"], arguments=written)
    if isinstance(value, dict) and set(value) == {"answer"} and isinstance(value["answer"], str):
        return value["answer"], None
    return text, None


def _unfenced(text: str) -> str:
    if not text.startswith(_FENCE):
        return text
    inner = text[len(_FENCE) :]
    tag, _, rest = inner.partition("\n")
    if rest and not tag.strip().startswith("{"):
        inner = rest  # past the language tag: ```json
    return inner.rsplit(_FENCE, 1)[0].strip()


async def parsed(events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
    """The provider's stream with the reply parsed: text that cannot be a call (it does not
    open with `{` or a fence) streams as it comes; the rest is held to the end and becomes
    a ToolCall or text. Usage is held too, so the port's order stays text, calls, usage.
    Closing this stream closes the provider's (a stop ends the generation upstream)."""
    inner = _parsed(events)
    try:
        async for event in inner:
            yield event
    finally:
        await inner.aclose()
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()


async def _parsed(events: AsyncIterator[StreamEvent]) -> AsyncGenerator[StreamEvent, None]:
    held, passing = "", False
    usage: list[StreamEvent] = []
    async for event in events:
        if isinstance(event, TextDelta) and passing:
            yield event
        elif isinstance(event, TextDelta):
            held += event.text
            if held.strip() and not held.lstrip().startswith(("{", _FENCE[0])):
                passing, text, held = True, held, ""
                yield TextDelta(text)
        elif isinstance(event, Finish):
            text, call = parse(held) if held else ("", None)
            if text:
                yield TextDelta(text)
            if call is not None:
                yield call
            for item in usage:
                yield item
            yield Finish("tool_calls" if call is not None else event.reason)
        elif isinstance(event, ToolCall):
            yield event
        else:
            usage.append(event)
