"""Anthropic's Messages API: POST {base_url}/v1/messages with stream=true, read as SSE.

The request differs from OpenAI's: system messages go into the top-level `system`,
roles must alternate (consecutive same-role messages are merged; tool results count as
user turns), `max_tokens` is required and temperature stops at 1. Response
format and seed have no equivalent and are not sent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from httpx_sse import ServerSentEvent

from cognitia.llm.catalogue import ProviderConfig
from cognitia.llm.ports import (
    ChatMessage,
    ChatRequest,
    Finish,
    FinishReason,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    StreamEvent,
    TextDelta,
    ToolCall,
    Usage,
)
from cognitia.llm.providers.openai_compat import SSEChatModel, decode

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 1024
_STOP: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
}
_ERRORS: dict[str, type[ProviderError]] = {
    "overloaded_error": ProviderUnavailable,
    "api_error": ProviderUnavailable,
    "timeout_error": ProviderUnavailable,
    "rate_limit_error": ProviderRateLimited,
}


def _input_tokens(usage: dict[str, Any]) -> int:
    """Input tokens billed: plain plus those written to and read from the prompt cache."""
    keys = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    return sum(int(usage.get(key) or 0) for key in keys)


class _ToolBlock:
    """A tool_use block being streamed: its input arrives as partial JSON fragments."""

    def __init__(self, index: int, block: dict[str, Any]) -> None:
        self.index = index
        self.id, self.name = str(block.get("id") or ""), str(block.get("name") or "")
        self.start_input = block.get("input")
        self.parts: list[str] = []

    def call(self) -> ToolCall:
        arguments = "".join(self.parts)
        if not arguments.strip():  # a call without arguments streams no fragment
            arguments = json.dumps(self.start_input or {})
        return ToolCall(self.id or f"toolu_{self.index}", self.name, arguments, self.index)


class _EventParser:
    """message_start, content_block_*, ping, message_delta, message_stop and error.
    A tool_use block becomes one ToolCall when its content_block_stop arrives."""

    def __init__(self, model: SSEChatModel) -> None:
        self.done = False
        self.begun = False
        self._model = model
        self._input = self._output = 0
        self._stop: str | None = None
        self._tools: dict[int, _ToolBlock] = {}
        self._handlers: dict[str, Callable[[dict[str, Any]], list[StreamEvent]]] = {
            "message_start": self._message_start,
            "content_block_start": self._block_start,
            "content_block_stop": self._block_stop,
            "content_block_delta": self._block_delta,
            "message_delta": self._message_delta,
            "message_stop": self._message_stop,
            "error": self._error,
        }

    def feed(self, sse: ServerSentEvent) -> list[StreamEvent]:
        if not sse.data.strip():
            return []
        try:
            data = decode(sse)
        except ValueError as exc:
            raise self._model.error(ProviderUnavailable, f"malformed event: {exc}") from None
        kind = sse.event if sse.event != "message" else str(data.get("type", ""))
        handler = self._handlers.get(kind)
        return handler(data) if handler else []

    def end(self) -> list[StreamEvent]:
        if not self.done:
            raise self._model.error(ProviderUnavailable, "stream ended before message_stop")
        reason = _STOP.get(self._stop or "end_turn", "stop")
        return [Usage(self._input, self._output), Finish(reason)]

    def _message_start(self, data: dict[str, Any]) -> list[StreamEvent]:
        usage = (data.get("message") or {}).get("usage") or {}
        self._input = _input_tokens(usage)
        self._output = int(usage.get("output_tokens") or 0)
        return []

    def _block_start(self, data: dict[str, Any]) -> list[StreamEvent]:
        block = data.get("content_block") or {}
        if block.get("type") == "tool_use":
            index = int(data.get("index") or 0)
            self._tools[index] = _ToolBlock(index, block)
            self.begun = True
        return []

    def _block_stop(self, data: dict[str, Any]) -> list[StreamEvent]:
        tool = self._tools.pop(int(data.get("index") or 0), None)
        return [tool.call()] if tool else []

    def _block_delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        delta = data.get("delta") or {}
        tool = self._tools.get(int(data.get("index") or 0))
        if tool is not None and delta.get("type") == "input_json_delta":
            tool.parts.append(str(delta.get("partial_json") or ""))
            return []
        text = delta.get("text")
        if delta.get("type") == "text_delta" and isinstance(text, str) and text:
            return [TextDelta(text)]
        return []

    def _message_delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        self._stop = (data.get("delta") or {}).get("stop_reason") or self._stop
        usage = data.get("usage") or {}
        if usage.get("output_tokens") is not None:
            self._output = int(usage["output_tokens"])
        if usage.get("input_tokens") is not None:
            self._input = _input_tokens(usage)
        return []

    def _message_stop(self, data: dict[str, Any]) -> list[StreamEvent]:
        self.done = True
        return []

    def _error(self, data: dict[str, Any]) -> list[StreamEvent]:
        error = data.get("error") or {}
        kind = str(error.get("type", "api_error"))
        message = f"{kind} in stream: {error.get('message', '')}"
        raise self._model.error(_ERRORS.get(kind, ProviderRejected), message)


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI function tool in Anthropic's shape (others are passed as they are)."""
    function = tool.get("function")
    if tool.get("type") != "function" or not isinstance(function, dict):
        return tool
    return {
        "name": function["name"],
        "description": function.get("description", ""),
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }


def _input(arguments: str) -> dict[str, Any]:
    """A call's arguments as the object Anthropic wants back ({} when malformed)."""
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _blocks(message: ChatMessage) -> list[dict[str, Any]]:
    """A message as content blocks; tool calls and results in Anthropic's shape."""
    if message.tool_call_id is not None:
        content = message.content or "(empty)"
        return [{"type": "tool_result", "tool_use_id": message.tool_call_id, "content": content}]
    blocks: list[dict[str, Any]] = []
    if message.content:  # the API refuses empty text blocks
        blocks.append({"type": "text", "text": message.content})
    for call in message.tool_calls:
        tool_use = {"type": "tool_use", "id": call.id, "name": call.name}
        blocks.append({**tool_use, "input": _input(call.arguments)})
    return blocks


def _content(blocks: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """Plain text stays a string (merged turns joined by a blank line)."""
    if all(block["type"] == "text" for block in blocks):
        return "\n\n".join(block["text"] for block in blocks)
    return blocks


def _messages(request: ChatRequest) -> list[dict[str, Any]]:
    turns: list[tuple[str, list[dict[str, Any]]]] = []
    for message in request.messages:
        blocks = [] if message.role == "system" else _blocks(message)
        if not blocks:
            continue
        role = "assistant" if message.role == "assistant" else "user"
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((role, blocks))
    return [{"role": role, "content": _content(blocks)} for role, blocks in turns]


def request_body(request: ChatRequest, model: str) -> dict[str, Any]:
    """The /v1/messages body."""
    system = [m.content for m in request.messages if m.role == "system" and m.content]
    messages = _messages(request)
    sampling = request.sampling
    temperature = None if sampling.temperature is None else min(sampling.temperature, 1.0)
    optional = {
        "system": "\n\n".join(system) or None,
        "temperature": temperature,
        "top_p": sampling.top_p,
        "stop_sequences": list(sampling.stop) or None,
        "tools": [_tool(t) for t in request.tools] if request.tools else None,
    }
    return {
        "model": model,
        "max_tokens": sampling.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": messages,
        "stream": True,
        **{key: value for key, value in optional.items() if value is not None},
    }


class AnthropicMessages(SSEChatModel):
    """ChatModel for Anthropic's Messages API."""

    def __init__(self, name: str, config: ProviderConfig) -> None:
        headers = {"anthropic-version": API_VERSION}
        key = config.resolved_api_key()
        if key:
            headers["x-api-key"] = key
        super().__init__(
            name, config, base_url=config.base_url or DEFAULT_BASE_URL, headers=headers
        )

    def stream(self, request: ChatRequest, *, model: str) -> AsyncIterator[StreamEvent]:
        return self._events("v1/messages", request_body(request, model), _EventParser(self))
