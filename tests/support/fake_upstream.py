"""A fake LLM server on 127.0.0.1 that speaks OpenAI's and Anthropic's real wire formats.

Routes: POST /v1/chat/completions, GET /v1/models, POST /v1/embeddings (OpenAI) and
POST /v1/messages (Anthropic), streamed as real SSE or as plain JSON. The server runs
uvicorn on its own thread and event loop, so a stalled test loop never stalls it.

Tests script what the next request(s) for a model id get; anything unscripted echoes
the last user message ("You said: ..."). Every request is recorded.

    with FakeUpstream() as upstream:                      # or: async with FakeUpstream()
        upstream.script("gpt-x", reply="Hello there", token_delay=0.01)
        upstream.script("gpt-x", status=503)              # the request after that one
        upstream.script("claude-x", Script(stall_after=2), times=None)   # every request
        ...                                               # base_url=upstream.openai_url
        assert upstream.requests[-1].body["messages"][0]["content"] == "hi"
        upstream.script("gpt-x", tool_calls=(tool_call("calculator", {"expression": "2+2"}),))

Tool calls (Script.tool_calls) stream in each vendor's real shape: OpenAI `tool_calls`
deltas by index (id and name first, the arguments in fragments) with finish_reason
"tool_calls"; Anthropic `tool_use` blocks with `input_json_delta` fragments and
stop_reason "tool_use". Arguments given as text are sent as they are (malformed JSON too).
        await eventually(lambda: ...upstream.last("gpt-x").disconnected)

A separate process for benchmarks (script it over HTTP: POST /_fake/script with the
Script fields plus "model" and "times"; GET /_fake/requests; POST /_fake/reset; POST
/_fake/release lets held requests answer):

    python -m tests.support.fake_upstream --port 8099 --token-delay 0.02
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import math
import random
import re
import socket
import sys
import threading
import time
import uuid
from array import array
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.support.waiting import eventually_sync

SSE = b"text/event-stream; charset=utf-8"
JSON = b"application/json"
_PIECES = {"word": re.compile(r"\s*\S+|\s+$"), "char": re.compile(r".", re.DOTALL)}
_OPENAI_FINISH = {"stop_sequence": "stop"}
_ANTHROPIC_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
_OPENAI_ERRORS = {401: "authentication_error", 404: "not_found_error", 429: "rate_limit_exceeded"}
_ANTHROPIC_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class Script:
    """What one request gets. Token indexes count reply pieces, from 0."""

    reply: str | None = None  # None: "You said: <last user message>"
    split: Literal["word", "char"] = "word"  # piece size of the stream
    token_delay: float = 0.0  # seconds before each piece
    first_byte_delay: float = 0.0  # seconds before the response starts
    status: int | None = None  # answer with this HTTP error (or, with error_after, its kind)
    message: str = "scripted upstream failure"  # the error's message
    retry_after: str | None = None  # Retry-After header of the error response
    fail_after: int | None = None  # close the connection abruptly after N pieces
    error_after: int | None = None  # send the vendor's in-stream error event after N pieces
    stall_after: int | None = None  # go silent after N pieces, connection left open
    hang: bool = False  # never answer at all
    finish: str | None = None  # finish reason: stop/length/stop_sequence/tool_calls or raw
    prompt_tokens: int | None = None  # default: words in the request's messages
    ignore_stop: bool = False  # write past the request's stop strings, as some servers do
    echo_prompt: bool = False  # reply with everything the model was shown (privacy tests)
    # Embeddings of more than one text (indexing; a reply's query is one) wait until
    # release_held(): a slow background embedder.
    hold_batches: bool = False
    # Chat and message requests wait until release_held() before answering (a slow model
    # that a test lets go; or one a worker is killed in the middle of).
    hold: bool = False
    # Tool calls after the reply text (the text defaults to none then): tool_call(...) dicts.
    tool_calls: tuple[dict[str, str], ...] = ()


def tool_call(
    name: str, arguments: dict[str, Any] | str, call_id: str | None = None
) -> dict[str, str]:
    """A scripted tool call; `arguments` as text goes out verbatim (malformed JSON too)."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id or f"call_{uuid.uuid4().hex[:12]}", "name": name, "arguments": text}


def _fragments(text: str, parts: int = 3) -> list[str]:
    """The arguments in a few pieces, as vendors stream them."""
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)]


@dataclass
class Received:
    """One request as the fake saw it. Headers have lower-case names."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    peer: str = ""  # the client's host:port, to tell connections apart
    disconnected: bool = False  # the client went away before the reply was complete
    completed: bool = False  # the whole reply was sent

    @property
    def model(self) -> str | None:
        model = self.body.get("model")
        return model if isinstance(model, str) else None


@dataclass(frozen=True)
class _Plan:
    pieces: list[str]
    finish: str
    stop_sequence: str | None
    prompt_tokens: int

    @property
    def text(self) -> str:
        return "".join(self.pieces)


@dataclass
class _Queued:
    script: Script
    remaining: int


class _Abort(Exception):
    """Raised inside the app to drop the connection without finishing the response."""


class _QuietAborts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], _Abort))


_QUIET = _QuietAborts()


def _text(content: Any) -> str:
    """The text of an OpenAI or Anthropic content field: a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _shown(body: dict[str, Any], messages: list[dict[str, Any]]) -> str:
    """Everything a request shows the model, as one text."""
    parts = [body.get("system"), body.get("prompt"), *(m.get("content") for m in messages)]
    return " ".join(_text(part) for part in parts)


def _plan(script: Script, body: dict[str, Any]) -> _Plan:
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    users = [_text(m.get("content")) for m in messages if m.get("role") == "user"]
    if isinstance(body.get("prompt"), str):  # legacy /completions: the prompt is the text
        users.append(body["prompt"].strip().splitlines()[-1] if body["prompt"].strip() else "")
    echo = "" if script.tool_calls else f"You said: {users[-1] if users else ''}"
    text = script.reply if script.reply is not None else echo
    if script.echo_prompt:
        text = _shown(body, messages)
    finish, matched = "stop", None
    stops = [] if script.ignore_stop else body.get("stop") or body.get("stop_sequences") or []
    found = [(text.find(s), s) for s in ([stops] if isinstance(stops, str) else stops) if s in text]
    if found:
        at, matched = min(found)
        text, finish = text[:at], "stop_sequence"
    pieces = _PIECES[script.split].findall(text)
    limit = body.get("max_tokens") or body.get("max_completion_tokens")
    if isinstance(limit, int) and len(pieces) > limit:
        pieces, finish, matched = pieces[:limit], "length", None
    prompt = _shown(body, messages)
    prompt_tokens = script.prompt_tokens
    if prompt_tokens is None:
        prompt_tokens = len(prompt.split())
    if script.tool_calls and finish == "stop":
        finish = "tool_calls"
    return _Plan(pieces, script.finish or finish, matched, prompt_tokens)


@functools.lru_cache(maxsize=65536)
def _word_vector(word: str, dimensions: int) -> tuple[float, ...]:
    rng = random.Random(hashlib.sha256(word.encode()).digest())
    return tuple(rng.gauss(0.0, 1.0) for _ in range(dimensions))


def embedding(text: str, dimensions: int) -> list[float]:
    """A deterministic unit vector: the sum of hashed word vectors, so shared words mean
    similar vectors."""
    total = [0.0] * dimensions
    for word in re.findall(r"\w+", text.lower()) or [text]:
        for i, value in enumerate(_word_vector(word, dimensions)):
            total[i] += value
    norm = math.sqrt(sum(v * v for v in total)) or 1.0
    return [v / norm for v in total]


async def _start(send: Send, status: int, content_type: bytes, headers: dict[str, str]) -> None:
    raw = [(b"content-type", content_type), (b"cache-control", b"no-cache")]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})


async def _write(send: Send, data: bytes, *, more: bool = True) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": more})


def _event(data: dict[str, Any] | str, name: str | None = None) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {payload}\n\n".encode()


def _openai_error(script: Script) -> dict[str, Any]:
    status = script.status or 500
    kind = "server_error" if status >= 500 else _OPENAI_ERRORS.get(status, "invalid_request_error")
    return {"error": {"message": script.message, "type": kind, "param": None, "code": None}}


def _anthropic_error(script: Script) -> dict[str, Any]:
    kind = _ANTHROPIC_ERRORS.get(script.status or 500, "api_error")
    return {"type": "error", "error": {"type": kind, "message": script.message}}


class _Reply(Response):
    """Runs `work` while watching for the client leaving and for the server closing."""

    def __init__(
        self, work: Callable[[Send], Awaitable[None]], record: Received, closing: asyncio.Event
    ) -> None:
        super().__init__()
        self._work, self._record, self._closing = work, record, closing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        work = asyncio.ensure_future(self._work(send))
        gone = asyncio.ensure_future(self._until_disconnect(receive))
        closing = asyncio.ensure_future(self._closing.wait())
        tasks = {work, gone, closing}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if work in done:
            work.result()
            self._record.completed = True
        elif gone in done:
            self._record.disconnected = True
        else:
            raise _Abort("fake upstream closing")

    @staticmethod
    async def _until_disconnect(receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass


class FakeUpstream:
    """The fake server; scripted per model id, thread-safe to script from tests."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        models: tuple[str, ...] = ("fake-model",),
        embedding_dimensions: int = 384,
    ) -> None:
        self.host, self.port = host, port
        self.models = list(models)
        self.embedding_dimensions = embedding_dimensions
        self.default_script = Script()
        self.requests: list[Received] = []
        self._queues: dict[str, deque[_Queued]] = {}
        self._sticky: dict[str, Script] = {}
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: asyncio.Event | None = None
        self._released: asyncio.Event | None = None
        self.held = 0  # requests waiting for release_held() now
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat_completions, methods=["POST"]),
                Route("/v1/completions", self._completions, methods=["POST"]),
                Route("/v1/messages", self._messages, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/_fake/script", self._control_script, methods=["POST"]),
                Route("/_fake/reset", self._control_reset, methods=["POST"]),
                Route("/_fake/release", self._control_release, methods=["POST"]),
                Route("/_fake/requests", self._control_requests, methods=["GET"]),
            ]
        )

    # -- scripting -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL for Anthropic clients (they add /v1 themselves)."""
        return f"http://{self.host}:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    def script(
        self, model: str, script: Script | None = None, *, times: int | None = 1, **fields: Any
    ) -> Script:
        """Queue what the next `times` requests for `model` get (None: every request
        once the queue is empty). Give a Script or its fields as keywords."""
        chosen = script if script is not None else Script(**fields)
        with self._lock:
            if times is None:
                self._sticky[model] = chosen
            else:
                self._queues.setdefault(model, deque()).append(_Queued(chosen, times))
        return chosen

    def reset(self) -> None:
        """Forget scripts and recorded requests."""
        with self._lock:
            self._queues.clear()
            self._sticky.clear()
            self.requests.clear()
            self.default_script = Script()
        if self._loop is not None and self._released is not None:
            self.release_held()  # nothing stays held into the next test
            self._released = asyncio.Event()

    async def holding(self) -> int:
        """Requests held now, as a probe for `eventually`."""
        return self.held

    def release_held(self) -> None:
        """Let every held request (Script.hold, Script.hold_batches) answer."""
        loop, released = self._loop, self._released
        if loop is None or released is None:
            raise RuntimeError("the fake upstream is not running")
        loop.call_soon_threadsafe(released.set)

    async def _hold(self) -> None:
        assert self._released is not None
        with self._lock:
            self.held += 1
        try:
            await self._released.wait()
        finally:
            with self._lock:
                self.held -= 1

    def requests_for(self, model: str) -> list[Received]:
        return [r for r in list(self.requests) if r.model == model]

    def last(self, model: str | None = None) -> Received:
        """The latest request (for `model`); AssertionError when there is none."""
        found = self.requests_for(model) if model is not None else list(self.requests)
        assert found, f"the fake upstream received no request for {model or 'any model'}"
        return found[-1]

    def _next_script(self, model: str) -> Script:
        with self._lock:
            queue = self._queues.get(model)
            if queue:
                head = queue[0]
                head.remaining -= 1
                if head.remaining <= 0:
                    queue.popleft()
                return head.script
            return self._sticky.get(model, self.default_script)

    # -- lifecycle -------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        logging.getLogger("uvicorn.error").addFilter(_QUIET)
        return sock

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            timeout_keep_alive=30,
        )

    async def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        self._loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        self._released = asyncio.Event()
        await server.serve(sockets=[sock])

    def start(self) -> FakeUpstream:
        """Serve on a thread of its own; returns once the port accepts connections."""
        sock = self._bind()
        server = self._server = uvicorn.Server(self._config())
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._serve(server, sock),), daemon=True
        )
        self._thread.start()
        thread = self._thread
        eventually_sync(lambda: server.started or not thread.is_alive(), timeout=10, interval=0.01)
        if not server.started:
            raise RuntimeError("the fake upstream did not start")
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        loop, closing = self._loop, self._closing
        if loop is not None and closing is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between
                loop.call_soon_threadsafe(closing.set)
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def serve_forever(self) -> None:
        """Serve in this process's main thread until SIGINT/SIGTERM."""
        sock = self._bind()
        server = uvicorn.Server(self._config())
        sys.stdout.write(f"fake upstream listening on {self.url}\n")
        sys.stdout.flush()
        with asyncio.Runner(loop_factory=server.config.get_loop_factory()) as runner:
            runner.run(self._serve(server, sock))

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> FakeUpstream:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    # -- shared request handling ------------------------------------------------------

    async def _receive(self, request: Request) -> tuple[Received, Script]:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {"input": body}
        peer = f"{request.client.host}:{request.client.port}" if request.client else ""
        record = Received(request.method, request.url.path, dict(request.headers), body, peer)
        self.requests.append(record)
        return record, self._next_script(str(body.get("model", "")))

    def _reply(self, record: Received, work: Callable[[Send], Awaitable[None]]) -> _Reply:
        assert self._closing is not None, "the fake upstream is not serving"
        return _Reply(work, record, self._closing)

    @staticmethod
    async def _forever() -> None:
        await asyncio.Event().wait()

    async def _pause(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)

    async def _preamble(
        self, send: Send, script: Script, error: Callable[[Script], dict[str, Any]]
    ) -> bool:
        """Hang, wait, or answer with the scripted error; True when the reply is done."""
        if script.hang:
            await self._forever()
        if script.hold:
            await self._hold()
        await self._pause(script.first_byte_delay)
        if script.status is None or script.error_after is not None:
            return False
        headers = {"retry-after": script.retry_after} if script.retry_after else {}
        await _start(send, script.status, JSON, headers)
        await _write(send, json.dumps(error(script)).encode(), more=False)
        return True

    async def _interrupt(self, send: Send, script: Script, index: int, error: bytes) -> bool:
        """Apply a failure scripted at piece `index`; True when the reply is done."""
        if script.fail_after == index:
            raise _Abort(f"scripted failure after {index} pieces")
        if script.error_after == index:
            await _write(send, error, more=False)
            return True
        if script.stall_after == index:
            await self._forever()
        return False

    async def _pieces(
        self, send: Send, script: Script, plan: _Plan, frame: Callable[[str], bytes], error: bytes
    ) -> bool:
        """Stream the reply's pieces; False when a scripted failure ended the reply."""
        for index, piece in enumerate(plan.pieces):
            if await self._interrupt(send, script, index, error):
                return False
            await self._pause(script.token_delay)
            await _write(send, frame(piece))
        return not await self._interrupt(send, script, len(plan.pieces), error)

    async def _whole(self, send: Send, script: Script, plan: _Plan) -> None:
        """Wait as long as streaming would have taken, honouring fail_after and hangs."""
        for index in range(len(plan.pieces) + 1):
            if index in (script.fail_after, script.error_after):
                raise _Abort(f"scripted failure after {index} pieces")
            if script.stall_after == index:
                await self._forever()
            if index < len(plan.pieces):
                await self._pause(script.token_delay)

    # -- OpenAI ------------------------------------------------------------------------

    async def _chat_completions(self, request: Request) -> Response:
        record, script = await self._receive(request)
        plan = _plan(script, record.body)
        model = record.model or "fake-model"
        options = record.body.get("stream_options") or {}
        include_usage = bool(options.get("include_usage"))

        async def work(send: Send) -> None:
            if await self._preamble(send, script, _openai_error):
                return
            if record.body.get("stream"):
                await self._openai_stream(send, script, plan, model, include_usage=include_usage)
            else:
                await self._whole(send, script, plan)
                await _start(send, 200, JSON, {})
                whole = _completion(plan, model, script.tool_calls)
                await _write(send, json.dumps(whole).encode(), more=False)

        return self._reply(record, work)

    async def _openai_stream(
        self, send: Send, script: Script, plan: _Plan, model: str, *, include_usage: bool
    ) -> None:
        base = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_fake",
        }

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return _event({**base, "choices": [choice]})

        await _start(send, 200, SSE, {})
        await _write(send, chunk({"role": "assistant", "content": ""}))
        error = _event(_openai_error(dataclasses.replace(script, status=script.status or 500)))
        if not await self._pieces(send, script, plan, lambda p: chunk({"content": p}), error):
            return
        for index, call in enumerate(script.tool_calls):
            function = {"name": call["name"], "arguments": ""}
            head = {"index": index, "id": call["id"], "type": "function", "function": function}
            await _write(send, chunk({"tool_calls": [head]}))
            for fragment in _fragments(call["arguments"]):
                part = {"index": index, "function": {"arguments": fragment}}
                await _write(send, chunk({"tool_calls": [part]}))
        await _write(send, chunk({}, _OPENAI_FINISH.get(plan.finish, plan.finish)))
        if include_usage:
            await _write(send, _event({**base, "choices": [], "usage": _usage(plan)}))
        await _write(send, _event("[DONE]"), more=False)

    async def _completions(self, request: Request) -> Response:
        """Legacy text completions (raw prompts), streamed only."""
        record, script = await self._receive(request)
        plan = _plan(script, record.body)
        model = record.model or "fake-model"
        base = {"id": f"cmpl-{uuid.uuid4().hex[:24]}", "object": "text_completion", "model": model}

        def chunk(text: str, finish: str | None = None) -> bytes:
            return _event(
                {**base, "choices": [{"index": 0, "text": text, "finish_reason": finish}]}
            )

        async def work(send: Send) -> None:
            if await self._preamble(send, script, _openai_error):
                return
            await _start(send, 200, SSE, {})
            error = _event(_openai_error(dataclasses.replace(script, status=script.status or 500)))
            if not await self._pieces(send, script, plan, chunk, error):
                return
            await _write(send, chunk("", _OPENAI_FINISH.get(plan.finish, plan.finish)))
            await _write(send, _event({**base, "choices": [], "usage": _usage(plan)}))
            await _write(send, _event("[DONE]"), more=False)

        return self._reply(record, work)

    async def _embeddings(self, request: Request) -> Response:
        record, script = await self._receive(request)
        raw = record.body.get("input", "")
        texts = [raw] if isinstance(raw, str) else [str(t) for t in raw]
        dimensions = int(record.body.get("dimensions") or self.embedding_dimensions)
        as_base64 = record.body.get("encoding_format") == "base64"
        tokens = sum(len(t.split()) for t in texts)

        def encode(text: str) -> list[float] | str:
            vector = embedding(text, dimensions)
            return base64.b64encode(array("f", vector).tobytes()).decode() if as_base64 else vector

        async def work(send: Send) -> None:
            if await self._preamble(send, script, _openai_error):
                return
            if script.hold_batches and len(texts) > 1:
                await self._hold()
            data = [
                {"object": "embedding", "index": i, "embedding": encode(text)}
                for i, text in enumerate(texts)
            ]
            usage = {"prompt_tokens": tokens, "total_tokens": tokens}
            body = {"object": "list", "data": data, "model": record.model, "usage": usage}
            await _start(send, 200, JSON, {})
            await _write(send, json.dumps(body).encode(), more=False)

        return self._reply(record, work)

    async def _models(self, request: Request) -> Response:
        with self._lock:
            ids = dict.fromkeys([*self.models, *self._sticky, *self._queues])
        data = [{"id": i, "object": "model", "created": 0, "owned_by": "fake"} for i in ids]
        return JSONResponse({"object": "list", "data": data})

    # -- Anthropic ---------------------------------------------------------------------

    async def _messages(self, request: Request) -> Response:
        record, script = await self._receive(request)
        plan = _plan(script, record.body)
        model = record.model or "fake-model"

        async def work(send: Send) -> None:
            if await self._preamble(send, script, _anthropic_error):
                return
            if record.body.get("stream"):
                await self._anthropic_stream(send, script, plan, model)
            else:
                await self._whole(send, script, plan)
                await _start(send, 200, JSON, {})
                whole = _message(plan, model, tool_calls=script.tool_calls)
                await _write(send, json.dumps(whole).encode(), more=False)

        return self._reply(record, work)

    async def _anthropic_stream(self, send: Send, script: Script, plan: _Plan, model: str) -> None:
        start = _message(plan, model, streaming=True)
        await _start(send, 200, SSE, {})
        await _write(send, _event({"type": "message_start", "message": start}, "message_start"))
        text_block = {"type": "text", "text": ""}
        block = {"type": "content_block_start", "index": 0, "content_block": text_block}
        await _write(send, _event(block, "content_block_start"))
        await _write(send, _event({"type": "ping"}, "ping"))
        failed = dataclasses.replace(script, status=script.status or 529)
        error = _event(_anthropic_error(failed), "error")

        def delta(piece: str) -> bytes:
            body = {"type": "text_delta", "text": piece}
            event = {"type": "content_block_delta", "index": 0, "delta": body}
            return _event(event, "content_block_delta")

        if not await self._pieces(send, script, plan, delta, error):
            return
        await _write(send, _event({"type": "content_block_stop", "index": 0}, "content_block_stop"))
        for index, call in enumerate(script.tool_calls, start=1):
            await self._anthropic_tool(send, index, call)
        stop = {"stop_reason": _stop_reason(plan), "stop_sequence": plan.stop_sequence}
        usage = {"output_tokens": len(plan.pieces)}
        message_delta = {"type": "message_delta", "delta": stop, "usage": usage}
        await _write(send, _event(message_delta, "message_delta"))
        await _write(send, _event({"type": "message_stop"}, "message_stop"), more=False)

    async def _anthropic_tool(self, send: Send, index: int, call: dict[str, str]) -> None:
        block = {"type": "tool_use", "id": call["id"], "name": call["name"], "input": {}}
        start = {"type": "content_block_start", "index": index, "content_block": block}
        await _write(send, _event(start, "content_block_start"))
        for fragment in _fragments(call["arguments"]):
            body = {"type": "input_json_delta", "partial_json": fragment}
            event = {"type": "content_block_delta", "index": index, "delta": body}
            await _write(send, _event(event, "content_block_delta"))
        stop = {"type": "content_block_stop", "index": index}
        await _write(send, _event(stop, "content_block_stop"))

    # -- control (for a fake in another process) ------------------------------------------

    async def _control_script(self, request: Request) -> Response:
        body = dict(await request.json())
        model, times = body.pop("model", None), body.pop("times", 1)
        if model is None:
            self.default_script = Script(**body)
        else:
            self.script(model, Script(**body), times=times)
        return JSONResponse({"ok": True})

    async def _control_reset(self, request: Request) -> Response:
        self.reset()
        return JSONResponse({"ok": True})

    async def _control_release(self, request: Request) -> Response:
        self.release_held()
        return JSONResponse({"ok": True})

    async def _control_requests(self, request: Request) -> Response:
        return JSONResponse([dataclasses.asdict(r) for r in list(self.requests)])


def _usage(plan: _Plan) -> dict[str, int]:
    completion = len(plan.pieces)
    return {
        "prompt_tokens": plan.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": plan.prompt_tokens + completion,
    }


def _completion(
    plan: _Plan, model: str, tool_calls: tuple[dict[str, str], ...] = ()
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": plan.text, "refusal": None}
    if tool_calls:
        message["tool_calls"] = [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": call["arguments"]},
            }
            for call in tool_calls
        ]
    finish = _OPENAI_FINISH.get(plan.finish, plan.finish)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _usage(plan),
    }


def _stop_reason(plan: _Plan) -> str:
    return _ANTHROPIC_STOP.get(plan.finish, plan.finish)


def _parsed(arguments: str) -> Any:
    try:
        return json.loads(arguments)
    except ValueError:
        return {}


def _message(
    plan: _Plan,
    model: str,
    *,
    streaming: bool = False,
    tool_calls: tuple[dict[str, str], ...] = (),
) -> dict[str, Any]:
    """A Message: complete, or as message_start carries it (empty, no stop reason yet)."""
    output = 1 if streaming else len(plan.pieces)
    content: list[dict[str, Any]] = [] if streaming else [{"type": "text", "text": plan.text}]
    if not streaming:
        content += [
            {"type": "tool_use", "id": c["id"], "name": c["name"], "input": _parsed(c["arguments"])}
            for c in tool_calls
        ]
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": None if streaming else _stop_reason(plan),
        "stop_sequence": None if streaming else plan.stop_sequence,
        "usage": {"input_tokens": plan.prompt_tokens, "output_tokens": output},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI/Anthropic-compatible server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reply", default=None, help="default reply (default: echo)")
    parser.add_argument("--split", choices=["word", "char"], default="word")
    parser.add_argument("--token-delay", type=float, default=0.0)
    parser.add_argument("--first-byte-delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    upstream = FakeUpstream(host=args.host, port=args.port)
    upstream.default_script = Script(
        reply=args.reply,
        split=args.split,
        token_delay=args.token_delay,
        first_byte_delay=args.first_byte_delay,
    )
    upstream.serve_forever()


if __name__ == "__main__":
    main()
