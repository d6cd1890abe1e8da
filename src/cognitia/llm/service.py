"""Routing a request to a model, falling back, and recording what every attempt cost.

The contract with callers (the OpenAI-compatible API now, chats later):
- before the first token, a retryable failure (connection, timeout, 5xx, 429) moves on
  to the next model of the chain; a provider whose breaker is open is skipped;
- after the first token, a failure ends the reply with GenerationFailed carrying the
  partial text; no second model is asked, so there is never a silent second answer;
- every attempt is written to `llm_call`, also when the caller stops early.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace

from cognitia.config import LlmSettings
from cognitia.db import Database
from cognitia.errors import BadRequest, CognitiaError, NotFound
from cognitia.llm import logic, repository
from cognitia.llm.catalogue import ModelConfig
from cognitia.llm.logic import Target
from cognitia.llm.ports import (
    ChatMessage,
    ChatRequest,
    Finish,
    FinishReason,
    ProviderError,
    ProviderRateLimited,
    StreamEvent,
    TextDelta,
    ToolCall,
    Usage,
)
from cognitia.llm.registry import ModelRegistry
from cognitia.models.llm_call import LlmCall

DEFAULT_LANE = "chat"
# The capability of models that complete raw text (instruct-template prompts).
COMPLETION = "completion"


class UnknownModelError(NotFound):
    code = "model_not_found"
    default_detail = "No such model or lane."


class ContextTooLong(BadRequest):
    code = "context_length_exceeded"
    default_detail = "The prompt does not fit the model's context window."


class ModelsUnavailable(CognitiaError):
    status_code = 503
    code = "models_unavailable"
    default_detail = "No model could answer right now; try again shortly."


class UpstreamRejected(CognitiaError):
    status_code = 502
    code = "upstream_rejected"
    default_detail = "The model provider refused the request."


@dataclass(frozen=True)
class CallContext:
    """Who a call is for, recorded with its usage."""

    user_id: str | None
    chat_id: str | None = None
    character_id: str | None = None
    lane: str | None = None
    task_id: str | None = None
    task_step_id: str | None = None


@dataclass(frozen=True)
class ModelSelected:
    model: str
    provider: str
    fallback_index: int


@dataclass(frozen=True)
class GenerationFailed:
    code: str
    message: str
    partial_text: str


GenerationEvent = ModelSelected | TextDelta | ToolCall | Usage | Finish | GenerationFailed


@dataclass
class _Attempt:
    """Measurements of one try at one model."""

    model: str
    config: ModelConfig
    index: int
    started: float = field(default_factory=time.perf_counter)
    first_token_at: float | None = None
    completion_chars: int = 0
    prompt_estimate: int = 0
    usage: Usage | None = None
    outcome: str = "ok"
    error: str | None = None


# Prompts whose token count the registry keeps (a few MB at most: long prompts are tens
# of KB, and only the last few replies' are asked again).
TOKEN_COUNTS_KEPT = 64


def resolve_chain(registry: ModelRegistry, target: Target) -> tuple[list[str], str | None]:
    """The ordered models to try, and the lane they came from (if any)."""
    catalogue = registry.catalogue
    if target.model:
        if target.model not in catalogue.models:
            raise UnknownModelError(f"Unknown model {target.model!r}.")
        return catalogue.chain_for_model(target.model), target.lane
    lane = target.lane or DEFAULT_LANE
    if lane not in catalogue.lanes:
        raise UnknownModelError(f"Unknown lane {lane!r}.")
    return catalogue.chain_for_lane(lane), lane


async def prompt_tokens(
    registry: ModelRegistry, model: str, messages: Sequence[ChatMessage]
) -> int:
    """The model's own count when its provider has a tokenizer, else the estimate."""
    config = registry.model(model)
    text = "\n".join(m.content for m in messages)
    key = (config.provider, config.upstream, text)
    counted = registry.token_counts.get(key)
    if counted is None:
        counted = await registry.provider(config.provider).count_tokens(text, model=config.upstream)
    if counted is not None:  # (no count, a runner restarting say, is asked again next time)
        registry.token_counts[key] = counted
        while len(registry.token_counts) > TOKEN_COUNTS_KEPT:
            del registry.token_counts[next(iter(registry.token_counts))]
    if counted is None:
        return logic.estimate_prompt_tokens(messages)
    return counted + logic.MESSAGE_OVERHEAD_TOKENS * len(messages)


async def tokens_over(registry: ModelRegistry, model: str, request: ChatRequest) -> int:
    """By how many tokens the request (its prompt and the reply it reserves) is over the
    model's context window; zero or less when it fits. The one count a request is held
    to: prompt assembly fits its prompts to it (chats/context.py)."""
    if request.prompt is not None and COMPLETION in registry.model(model).capabilities:
        # a raw-text model reads the rendered prompt (see Generator._attempt)
        prompt = await prompt_tokens(registry, model, [ChatMessage("user", request.prompt)])
    else:
        prompt = await prompt_tokens(registry, model, request.messages)
    reserve = request.sampling.max_tokens or 0
    return prompt + reserve - registry.model(model).context_window


async def _fitting(registry: ModelRegistry, chain: list[str], request: ChatRequest) -> list[str]:
    fitting = []
    for model in chain:
        if await tokens_over(registry, model, request) <= 0:
            fitting.append(model)
    if not fitting:
        raise ContextTooLong()
    return fitting


class Generator:
    """Runs one request through its chain; usable once."""

    def __init__(self, registry: ModelRegistry, recorder: UsageRecorder, context: CallContext):
        self.registry = registry
        self.recorder = recorder
        self.context = context
        self.attempts: list[_Attempt] = []
        self._partial = ""
        self._prompt_estimate = 0

    async def stream(
        self, request: ChatRequest, target: Target
    ) -> AsyncGenerator[GenerationEvent, None]:
        chain, lane = resolve_chain(self.registry, target)
        if lane in logic.BACKGROUND_LANES:
            request = replace(request, background=True)
        if lane and not self.context.lane:
            self.context = CallContext(**{**self.context.__dict__, "lane": lane})
        chain = await _fitting(self.registry, chain, request)
        self._prompt_estimate = logic.estimate_prompt_tokens(request.messages)
        try:
            # aclosing: a caller that stops early closes every generator down to the
            # provider's HTTP stream, so the attempt is marked cancelled before recording.
            async with aclosing(self._run_chain(request, chain)) as events:
                async for event in events:
                    yield event
        finally:
            self.recorder.record(self.context, self.attempts)

    async def _run_chain(
        self, request: ChatRequest, chain: list[str]
    ) -> AsyncGenerator[GenerationEvent, None]:
        last_error: ProviderError | None = None
        for index, model in enumerate(chain):
            config = self.registry.model(model)
            breaker = self.registry.breaker(config.provider)
            if not breaker.allow():
                continue
            attempt = _Attempt(model, config, index, prompt_estimate=self._prompt_estimate)
            self.attempts.append(attempt)
            try:
                async with aclosing(self._attempt(request, attempt)) as events:
                    async for event in events:
                        yield event
                breaker.record_success()
                return
            except ProviderError as exc:
                attempt.outcome, attempt.error = "error", str(exc)[:2000]
                if exc.retryable and not request.background:
                    retry_after = exc.retry_after if isinstance(exc, ProviderRateLimited) else None
                    breaker.record_failure(retry_after=retry_after)
                elif not exc.retryable:
                    breaker.record_success()  # it answered: the provider is up
                # (background work that fails, preempted say, never opens the breaker that
                # people's replies go through; its job is retried)
                if attempt.first_token_at is not None:
                    yield GenerationFailed("upstream_failed", str(exc), self._partial)
                    return
                if not exc.retryable:
                    raise UpstreamRejected(str(exc)) from exc
                last_error = exc
        raise ModelsUnavailable(f"All models failed: {last_error}" if last_error else None)

    async def _attempt(
        self, request: ChatRequest, attempt: _Attempt
    ) -> AsyncGenerator[GenerationEvent, None]:
        provider = self.registry.provider(attempt.config.provider)
        if request.prompt is not None and COMPLETION not in attempt.config.capabilities:
            request = replace(request, prompt=None)  # this model gets the role messages
        first = True
        self._partial = ""
        stream = provider.stream(request, model=attempt.config.upstream)
        try:
            async for event in stream:
                if isinstance(event, TextDelta):
                    if first:
                        attempt.first_token_at = time.perf_counter()
                        yield ModelSelected(attempt.model, attempt.config.provider, attempt.index)
                        first = False
                    self._partial += event.text
                    attempt.completion_chars += len(event.text)
                elif isinstance(event, Usage):
                    attempt.usage = event
                elif isinstance(event, ToolCall | Finish) and first:
                    if isinstance(event, ToolCall):
                        attempt.first_token_at = time.perf_counter()
                    yield ModelSelected(attempt.model, attempt.config.provider, attempt.index)
                    first = False
                yield event
        except (asyncio.CancelledError, GeneratorExit):
            attempt.outcome = "cancelled"
            raise
        finally:
            await _close(stream)


async def _close(stream: AsyncIterator[StreamEvent]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


class UsageRecorder:
    """Writes attempts to `llm_call` in their own unit of work, off the caller's path.

    Runs as a detached task so that a caller that was cancelled (a client that went
    away) still has its usage recorded.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._tasks: set[asyncio.Task[None]] = set()

    def record(self, context: CallContext, attempts: list[_Attempt]) -> None:
        if not attempts:
            return
        rows = [_row(context, a) for a in attempts]
        task = asyncio.get_running_loop().create_task(self._write(rows))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, rows: list[LlmCall]) -> None:
        async with self.db.unit_of_work() as session:
            repository.add_calls(session, rows)

    async def drain(self) -> None:
        """Wait for pending writes (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _row(context: CallContext, attempt: _Attempt) -> LlmCall:
    estimate = Usage(attempt.prompt_estimate, logic.estimate_tokens("x" * attempt.completion_chars))
    usage = attempt.usage or estimate
    end = time.perf_counter()
    ttft = attempt.first_token_at
    return LlmCall(
        user_id=context.user_id,
        chat_id=context.chat_id,
        character_id=context.character_id,
        lane=context.lane,
        task_id=context.task_id,
        task_step_id=context.task_step_id,
        provider=attempt.config.provider,
        model=attempt.model,
        upstream_model=attempt.config.upstream,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cost_nanousd=logic.cost_nanousd(
            usage.prompt_tokens,
            usage.completion_tokens,
            input_price=attempt.config.input_price,
            output_price=attempt.config.output_price,
        ),
        latency_ms=round((end - attempt.started) * 1000),
        ttft_ms=round((ttft - attempt.started) * 1000) if ttft is not None else None,
        outcome=attempt.outcome,
        fallback_index=attempt.index,
        error=attempt.error,
    )


@dataclass(frozen=True)
class Completion:
    """A generation run to its end: the text, the model that wrote it, why it stopped, what
    it cost; `failed` when it broke off (its partial text is `text`)."""

    text: str
    model: str
    finish_reason: FinishReason
    usage: Usage
    failed: GenerationFailed | None = None
    tool_calls: tuple[ToolCall, ...] = ()


async def complete(
    registry: ModelRegistry,
    recorder: UsageRecorder,
    *,
    request: ChatRequest,
    target: Target,
    context: CallContext,
) -> Completion:
    """Run to the end and collect the events into a Completion."""
    text, model, usage = "", "", Usage(0, 0)
    finish: FinishReason = "stop"
    failed: GenerationFailed | None = None
    calls: list[ToolCall] = []
    async for event in Generator(registry, recorder, context).stream(request, target):
        if isinstance(event, ModelSelected):
            model = event.model
        elif isinstance(event, TextDelta):
            text += event.text
        elif isinstance(event, ToolCall):
            calls.append(event)
        elif isinstance(event, Usage):
            usage = event
        elif isinstance(event, Finish):
            finish = event.reason
        else:
            failed = event
    return Completion(
        text=text,
        model=model,
        finish_reason=finish,
        usage=usage,
        failed=failed,
        tool_calls=tuple(calls),
    )


class MessageTooLong(BadRequest):
    code = "message_too_long"


class TooManyMessages(BadRequest):
    code = "too_many_messages"


def check_limits(request: ChatRequest, limits: LlmSettings) -> None:
    """Refuse oversized requests before any model sees them."""
    if len(request.messages) > limits.max_request_messages:
        raise TooManyMessages(f"At most {limits.max_request_messages} messages per request.")
    for message in request.messages:
        if len(message.content) > limits.max_message_chars:
            raise MessageTooLong(
                f"A message may have at most {limits.max_message_chars} characters."
            )


def check_embedding_limits(texts: Sequence[str], limits: LlmSettings) -> None:
    for text in texts:
        if len(text) > limits.max_message_chars:
            raise MessageTooLong(
                f"An input may have at most {limits.max_message_chars} characters."
            )


async def embed(
    registry: ModelRegistry, *, model: str, texts: Sequence[str]
) -> tuple[str, list[list[float]]]:
    """Embed with a named embedder ("default": the catalogue's default)."""
    name = registry.catalogue.default_embedder if model == "default" else model
    if name not in registry.catalogue.embedders:
        raise UnknownModelError(f"Unknown embedding model {model!r}.")
    try:
        vectors = await registry.embedder(name).embed(list(texts))
    except ProviderError as exc:
        if exc.retryable:
            raise ModelsUnavailable(str(exc)) from exc
        raise UpstreamRejected(str(exc)) from exc
    return name, vectors
