"""OpenAI wire shapes built from our generation events (pure functions)."""

from __future__ import annotations

import base64
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import JSONResponse

from cognitia.kit.ids import new_id
from cognitia.llm import logic
from cognitia.llm.ports import Finish, TextDelta, ToolCall, Usage
from cognitia.llm.service import Completion, GenerationEvent, ModelSelected


def model_entry(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "cognitia"}


def usage_dict(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def error_body(message: str, *, type_: str, code: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def completion_response(result: Completion) -> JSONResponse:
    failed = result.failed
    if failed is not None:
        body = error_body(failed.message, type_="api_error", code=failed.code)
        body["error"]["partial_content"] = failed.partial_text
        return JSONResponse(body, status_code=502)
    message: dict[str, Any] = {"role": "assistant", "content": result.text}
    if result.tool_calls:
        message["content"] = result.text or None
        message["tool_calls"] = [tool_call(call) for call in result.tool_calls]
    return JSONResponse(
        {
            "id": f"chatcmpl-{new_id()}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": result.model,
            "choices": [{"index": 0, "message": message, "finish_reason": result.finish_reason}],
            "usage": usage_dict(result.usage),
        }
    )


def tool_call(call: ToolCall) -> dict[str, Any]:
    """A call in OpenAI's message shape."""
    function = {"name": call.name, "arguments": call.arguments}
    return {"id": call.id, "type": "function", "function": function}


@dataclass
class ChunkStream:
    """Turns generation events into chat.completion.chunk objects, in order."""

    id: str
    created: int
    include_usage: bool = False
    model: str = ""
    usage: Usage | None = None
    _text_chars: int = field(default=0)
    _calls: int = field(default=0)

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{self.id}",
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }

    def feed(self, event: GenerationEvent) -> list[dict[str, Any]]:
        if isinstance(event, ModelSelected):
            self.model = event.model
            return [self._chunk({"role": "assistant", "content": ""})]
        if isinstance(event, TextDelta):
            self._text_chars += len(event.text)
            return [self._chunk({"content": event.text})]
        if isinstance(event, Usage):
            self.usage = event
            return []
        if isinstance(event, Finish):
            return self._finish(event)
        if isinstance(event, ToolCall):
            # One chunk per call, whole: clients join fragments by index, so one is enough.
            delta = {"tool_calls": [{"index": self._calls, **tool_call(event)}]}
            self._calls += 1
            return [self._chunk(delta)]
        return [error_body(event.message, type_="api_error", code=event.code)]

    def _finish(self, event: Finish) -> list[dict[str, Any]]:
        reason = "stop" if event.reason in {"cancelled", "error"} else event.reason
        chunks = [self._chunk({}, reason)]
        if self.include_usage:
            usage = self.usage or Usage(0, logic.estimate_tokens("x" * self._text_chars))
            final = self._chunk({})
            final["choices"] = []
            final["usage"] = usage_dict(usage)
            chunks.append(final)
        return chunks


def embedding_response(
    model: str, vectors: list[list[float]], texts: list[str], encoding: str
) -> dict[str, Any]:
    def encode(vector: list[float]) -> list[float] | str:
        if encoding == "base64":
            return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        return vector

    tokens = sum(logic.estimate_tokens(t) for t in texts)
    return {
        "object": "list",
        "model": model,
        "data": [
            {"object": "embedding", "index": i, "embedding": encode(v)}
            for i, v in enumerate(vectors)
        ],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
