"""The runner's HTTP API (inside the runner process): OpenAI-shaped streaming chat and
text completions, embeddings, token counts, and /health for the supervisor.

The first event of a stream is awaited before the response starts, so a model that
cannot run the request answers with a status (400 or 503) the client maps onto its
ProviderError. A client that disconnects cancels the stream, which stops llama.cpp
within a few tokens (runner/llama.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from cognitia.llm.catalogue import Catalogue
from cognitia.llm.ports import (
    Finish,
    ProviderError,
    ProviderRejected,
    StreamEvent,
    TextDelta,
    Usage,
)
from cognitia.llm.runner import protocol
from cognitia.llm.runner.engines import Engines

log = logging.getLogger(__name__)
Body = TypeVar("Body", bound=BaseModel)


def create_runner_app(catalogue: Catalogue) -> Starlette:
    engines = Engines(catalogue)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await engines.load()  # before the socket opens: ready means loaded
        try:
            yield
        finally:
            await engines.close()

    routes = [
        Route(protocol.HEALTH, _handler(engines, health), methods=["GET"]),
        Route(protocol.CHAT, _handler(engines, complete), methods=["POST"]),
        Route(protocol.COMPLETIONS, _handler(engines, complete), methods=["POST"]),
        Route(protocol.EMBEDDINGS, _handler(engines, embed), methods=["POST"]),
        Route(protocol.TOKENIZE, _handler(engines, tokenize), methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


Handler = Callable[[Engines, Request], Awaitable[Response]]


def _handler(engines: Engines, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(engines, request)
        except ProviderError as exc:
            return error_response(exc)

    return endpoint


async def health(engines: Engines, _: Request) -> Response:
    return JSONResponse(engines.health())


async def complete(engines: Engines, request: Request) -> Response:
    body = await _parse(request, protocol.CompletionBody)
    stream = engines.chat(body.model).stream(body.chat_request(), model=body.model)
    try:
        first = await anext(stream)
    except BaseException:
        await stream.aclose()
        raise
    return StreamingResponse(_sse(first, stream), media_type="text/event-stream")


async def embed(engines: Engines, request: Request) -> Response:
    body = await _parse(request, protocol.EmbeddingsBody)
    texts = [body.input] if isinstance(body.input, str) else body.input
    background = body.priority == "background"
    vectors = await engines.embedder(body.model).embed(texts, background=background)
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    return JSONResponse({"object": "list", "model": body.model, "data": data})


async def tokenize(engines: Engines, request: Request) -> Response:
    body = await _parse(request, protocol.TokenizeBody)
    count = await engines.chat(body.model).count_tokens(body.text, model=body.model)
    if count is None:
        raise ProviderRejected(f"model {body.model!r} cannot count tokens (it did not load)")
    return JSONResponse({"tokens": count})


async def _parse(request: Request, kind: type[Body]) -> Body:
    try:
        return kind.model_validate(await request.json())
    except (ValueError, ValidationError) as exc:
        raise ProviderRejected(f"invalid request body: {exc}") from None


def error_response(exc: ProviderError) -> JSONResponse:
    status = 400 if isinstance(exc, ProviderRejected) else 503
    return JSONResponse({"error": {"message": str(exc)}}, status_code=status)


async def _sse(first: StreamEvent, rest: AsyncGenerator[StreamEvent, None]) -> AsyncIterator[str]:
    """The stream as chat.completion.chunk events; an error after the start is sent as an
    error chunk (the client raises it), then [DONE]."""
    async with aclosing(rest):
        try:
            yield _chunk(first)
            async for event in rest:
                yield _chunk(event)
        except ProviderError as exc:
            log.warning("generation failed mid-stream: %s", exc)
            yield _data({"error": {"message": str(exc)}})
    yield "data: [DONE]\n\n"


def _chunk(event: StreamEvent) -> str:
    choice: dict[str, Any] = {"index": 0, "delta": {}, "finish_reason": None}
    if isinstance(event, TextDelta):
        choice["delta"] = {"content": event.text}
    elif isinstance(event, Usage):
        usage = {
            "prompt_tokens": event.prompt_tokens,
            "completion_tokens": event.completion_tokens,
            "total_tokens": event.total_tokens,
        }
        return _data({"object": "chat.completion.chunk", "choices": [], "usage": usage})
    elif isinstance(event, Finish):
        choice["finish_reason"] = event.reason
    return _data({"object": "chat.completion.chunk", "choices": [choice]})


def _data(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
