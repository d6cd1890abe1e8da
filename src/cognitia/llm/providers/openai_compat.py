"""Any OpenAI-compatible chat server: OpenAI, vLLM, llama.cpp server, Ollama /v1, Groq,
OpenRouter. POST {base_url}/chat/completions with stream=true, read as SSE.

SSEChatModel holds what the Anthropic adapter shares: the HTTP client, the first-token
deadline and the mapping of HTTP failures onto ProviderError. Timeouts: the connect
timeout from the config; until the first token, first_token_timeout_seconds for
everything (waiting for a connection, connecting, the response head, the first delta);
after it, timeout_seconds as the longest silence between two reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
from httpx_sse import EventSource, ServerSentEvent

from cognitia.kit.tls import client_context
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

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# After the end marker the body should end at once; a server that keeps it open costs
# this much, then a new connection for the next request.
DRAIN_SECONDS = 1.0
_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}


class StreamParser(Protocol):
    """Turns one vendor's SSE events into StreamEvents; raises ProviderError on an
    in-stream error. `done` turns true at the vendor's end-of-stream marker; `begun` once
    the reply started in a way that yields no event yet (a tool call's fragments)."""

    done: bool
    begun: bool

    def feed(self, sse: ServerSentEvent) -> list[StreamEvent]: ...

    def end(self) -> list[StreamEvent]:
        """The closing Usage and Finish; ProviderUnavailable if the stream was cut short."""
        ...


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from Retry-After (seconds or an HTTP date) or retry-after-ms."""
    millis = headers.get("retry-after-ms")
    with contextlib.suppress(ValueError):
        if millis is not None:
            return max(0.0, float(millis) / 1000)
    value = headers.get("retry-after")
    if value is None:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def upstream_message(response: httpx.Response) -> str:
    """The error message in an error response's body, in the shapes vendors use."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        for candidate in (error, data.get("message"), data.get("detail")):
            if isinstance(candidate, str) and candidate:
                return candidate
    return json.dumps(data)[:500]


def decode(sse: ServerSentEvent) -> dict[str, Any]:
    """An SSE event's JSON object; ValueError when it is not one."""
    data = json.loads(sse.data)
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {sse.data[:100]!r}")
    return data


async def _drain(source: AsyncIterator[ServerSentEvent]) -> None:
    """Read past the end marker, so that the connection goes back to the pool."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(DRAIN_SECONDS):
            async for _ in source:
                pass


class SSEChatModel:
    """A ChatModel over HTTP + SSE; subclasses build the body and the parser."""

    def __init__(
        self,
        name: str,
        config: ProviderConfig,
        *,
        base_url: str,
        headers: dict[str, str],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self._secret = config.resolved_api_key()
        self._first_token_timeout = config.first_token_timeout_seconds
        merged = httpx.Headers(headers)
        merged.update(config.headers)  # case-insensitive: a configured header wins
        self._client = httpx.AsyncClient(
            verify=client_context(),
            base_url=base_url.rstrip("/") + "/",
            headers=merged,
            timeout=httpx.Timeout(config.timeout_seconds, connect=config.connect_timeout_seconds),
            limits=httpx.Limits(
                max_connections=config.concurrency, max_keepalive_connections=config.concurrency
            ),
            transport=transport,
        )

    def error(
        self,
        kind: type[ProviderError],
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> ProviderError:
        """A ProviderError naming this provider, with the API key masked out."""
        if self._secret:
            message = message.replace(self._secret, "***")
        return kind(f"{self.name}: {message}", status=status, retry_after=retry_after)

    async def count_tokens(self, text: str, *, model: str) -> int | None:
        return None

    async def close(self) -> None:
        await self._client.aclose()

    async def _events(
        self, path: str, body: dict[str, Any], parser: StreamParser
    ) -> AsyncIterator[StreamEvent]:
        deadline = asyncio.get_running_loop().time() + self._first_token_timeout
        response = await self._open(path, body, deadline)
        try:
            async with contextlib.aclosing(EventSource(response).aiter_sse()) as source:
                started = False
                while not parser.done:
                    sse = await self._next(source, None if started else deadline)
                    if sse is None:
                        break
                    for event in parser.feed(sse):
                        started = started or isinstance(event, TextDelta)
                        yield event
                    started = started or parser.begun
                if parser.done:
                    await _drain(source)
                for event in parser.end():
                    yield event
        finally:
            # Also on aclose() or cancellation: closing mid-body drops the connection,
            # which is how an OpenAI-style server learns to stop generating.
            await response.aclose()

    async def _open(self, path: str, body: dict[str, Any], deadline: float) -> httpx.Response:
        request = self._client.build_request(
            "POST", path, json=body, headers={"accept": "text/event-stream"}
        )
        try:
            async with asyncio.timeout_at(deadline):
                response = await self._client.send(request, stream=True)
        except TimeoutError:
            raise self._silent() from None
        except httpx.HTTPError as exc:
            raise self._transport(exc) from exc
        if response.status_code >= 400:
            try:
                await response.aread()
            except httpx.HTTPError:
                pass
            finally:
                await response.aclose()
            raise self._status(response)
        return response

    async def _next(
        self, source: AsyncIterator[ServerSentEvent], deadline: float | None
    ) -> ServerSentEvent | None:
        try:
            async with asyncio.timeout_at(deadline):
                return await anext(source)
        except StopAsyncIteration:
            return None
        except TimeoutError:
            raise self._silent() from None
        except httpx.HTTPError as exc:
            raise self._transport(exc) from exc

    def _silent(self) -> ProviderError:
        return self.error(
            ProviderUnavailable, f"no token within {self._first_token_timeout:g}s (timed out)"
        )

    def _transport(self, exc: httpx.HTTPError) -> ProviderError:
        detail = str(exc) or "no detail"
        return self.error(ProviderUnavailable, f"{type(exc).__name__}: {detail}")

    def _status(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        message = f"HTTP {status}: {upstream_message(response)}"
        if status == 429:
            wait = retry_after(response.headers)
            return self.error(ProviderRateLimited, message, status=status, retry_after=wait)
        if status >= 500 or status == 408:
            return self.error(ProviderUnavailable, message, status=status)
        return self.error(ProviderRejected, message, status=status)


class _CallParts:
    """One streamed OpenAI tool call: id and name come first, arguments in fragments."""

    def __init__(self) -> None:
        self.id = self.name = ""
        self.arguments: list[str] = []

    def add(self, delta: dict[str, Any]) -> None:
        self.id = self.id or str(delta.get("id") or "")
        function = delta.get("function") or {}
        self.name = self.name or str(function.get("name") or "")
        fragment = function.get("arguments")
        if isinstance(fragment, str):
            self.arguments.append(fragment)
        elif isinstance(fragment, dict):  # a few servers send the object itself
            self.arguments.append(json.dumps(fragment))


def tool_calls(parts: dict[int, _CallParts]) -> list[StreamEvent]:
    """The assembled calls, in index order; a call without an id gets one."""
    return [
        ToolCall(part.id or f"call_{index}", part.name, "".join(part.arguments), index)
        for index, part in sorted(parts.items())
    ]


class ChunkParser:
    """OpenAI chat.completion.chunk events, ending with `data: [DONE]`. Tool-call
    fragments (parallel calls by index) are assembled and emitted at the end."""

    def __init__(self, model: SSEChatModel) -> None:
        self.done = False
        self.begun = False
        self._calls: dict[int, _CallParts] = {}
        self._model = model
        self._finish: FinishReason | None = None
        self._usage: Usage | None = None

    def feed(self, sse: ServerSentEvent) -> list[StreamEvent]:
        if sse.data.strip() == "[DONE]":
            self.done = True
            return []
        if not sse.data.strip():
            return []
        try:
            chunk = decode(sse)
        except ValueError as exc:
            raise self._model.error(ProviderUnavailable, f"malformed chunk: {exc}") from None
        if chunk.get("error"):
            error = chunk["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise self._model.error(ProviderUnavailable, f"error in stream: {message}")
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
            self._usage = Usage(int(prompt or 0), int(completion or 0))
        events: list[StreamEvent] = []
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            # chat chunks carry delta.content; legacy text completions carry text
            delta = choice.get("delta") or {}
            content = delta.get("content", choice.get("text"))
            if isinstance(content, str) and content:
                events.append(TextDelta(content))
            self._add_calls(delta.get("tool_calls"))
            if choice.get("finish_reason"):
                self._finish = _FINISH.get(str(choice["finish_reason"]), "stop")
        return events

    def _add_calls(self, deltas: Any) -> None:
        if not isinstance(deltas, list):
            return
        for position, delta in enumerate(deltas):
            if isinstance(delta, dict):
                index = delta.get("index")
                index = index if isinstance(index, int) else position
                self._calls.setdefault(index, _CallParts()).add(delta)
                self.begun = True

    def end(self) -> list[StreamEvent]:
        if self._finish is None and not self.done:
            raise self._model.error(ProviderUnavailable, "stream ended before the reply finished")
        usage: list[StreamEvent] = [self._usage] if self._usage else []
        finish = self._finish or "stop"
        if self._calls and finish == "stop":  # some servers say "stop" after tool calls
            finish = "tool_calls"
        return [*tool_calls(self._calls), *usage, Finish(finish)]


def endpoint(request: ChatRequest) -> str:
    """Where a request goes, relative to an OpenAI-compatible base URL (…/v1)."""
    return "completions" if request.prompt is not None else "chat/completions"


def message_body(message: ChatMessage) -> dict[str, Any]:
    """One message in OpenAI's shape, with its tool calls or the call it answers."""
    body: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.name:
        body["name"] = message.name
    if message.tool_calls:
        body["content"] = message.content or None
        body["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    if message.tool_call_id is not None:
        body["tool_call_id"] = message.tool_call_id
    return body


def request_body(request: ChatRequest, model: str) -> dict[str, Any]:
    """The /chat/completions body (or /completions with a raw prompt)."""
    if request.prompt is not None:
        text: dict[str, Any] = {"prompt": request.prompt}
    else:
        text = {"messages": [message_body(m) for m in request.messages]}
    sampling = request.sampling
    optional = {
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_tokens,
        "seed": sampling.seed,
        "stop": list(sampling.stop) or None,
        "response_format": request.response_format,
        "tools": request.tools,
    }
    if request.prompt is not None:  # legacy completions take neither
        optional.pop("response_format")
        optional.pop("tools")
    return {
        "model": model,
        **text,
        "stream": True,
        "stream_options": {"include_usage": True},
        **{key: value for key, value in optional.items() if value is not None},
    }


class OpenAICompatible(SSEChatModel):
    """ChatModel for an OpenAI-compatible /chat/completions endpoint."""

    def __init__(self, name: str, config: ProviderConfig) -> None:
        key = config.resolved_api_key()
        super().__init__(
            name,
            config,
            base_url=config.base_url or DEFAULT_BASE_URL,
            headers={"authorization": f"Bearer {key}"} if key else {},
        )

    def stream(self, request: ChatRequest, *, model: str) -> AsyncIterator[StreamEvent]:
        return self._events(endpoint(request), request_body(request, model), ChunkParser(self))
