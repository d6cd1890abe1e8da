"""The ChatModel and Embedder ports, and the events a reply streams as.

A provider adapter turns one vendor's protocol into these types and its failures into
ProviderError subclasses; routing, fallback, the circuit breaker and usage recording
(llm/service.py) never see vendor types.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "cancelled", "error"]


@dataclass(frozen=True)
class ToolCall:
    """A complete tool call the model made. Providers assemble the streamed fragments
    (OpenAI `tool_calls` deltas by index, Anthropic `input_json_delta`) and emit one
    ToolCall per call, in index order, before Finish. `arguments` is the raw JSON text
    as the model wrote it: it may be malformed, and the caller decides what that means.
    """

    id: str
    name: str
    arguments: str
    index: int = 0


@dataclass(frozen=True)
class ChatMessage:
    """`tool_calls`: an assistant turn that called tools; `tool_call_id`: a "tool" turn
    answering that call (its `content` is the result text)."""

    role: Role
    content: str
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True)
class Sampling:
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None


@dataclass(frozen=True)
class ChatRequest:
    """What to generate. `response_format` follows OpenAI's shape:
    {"type": "json_object"} or {"type": "json_schema", "json_schema": {"name", "schema"}}.
    `tools`: OpenAI function tools ({"type": "function", "function": {name, description,
    parameters}}); providers translate them to their own shape.
    """

    messages: Sequence[ChatMessage]
    sampling: Sampling = field(default_factory=Sampling)
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    # The same prompt rendered as raw text with an instruct template (Pygmalion, Alpaca...).
    # Providers that complete raw text use it instead of `messages` when it is set (models
    # with the "completion" capability); the others use `messages`.
    prompt: str | None = None
    # Work no person waits for (memory extraction, summaries): a provider that queues
    # (the local runner) serves interactive requests first and may preempt this one.
    background: bool = False


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Finish:
    reason: FinishReason


StreamEvent = TextDelta | ToolCall | Usage | Finish


class ProviderError(Exception):
    """A provider failed. `retryable` failures before the first token fall back to the
    next model in the chain; `retry_after` (seconds) comes from a 429's Retry-After."""

    retryable: bool = False

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """Connection refused or reset, timeout, or a 5xx."""

    retryable = True


class ProviderRateLimited(ProviderError):
    """HTTP 429."""

    retryable = True


class ProviderRejected(ProviderError):
    """The provider refused the request itself (4xx other than 429): no point retrying it."""


class ChatModel(Protocol):
    """A provider that streams chat replies.

    `stream` yields TextDelta events, then any ToolCall events, then at most one Usage,
    then exactly one Finish.
    Cancelling the iteration (aclose or task cancellation) stops generation upstream.
    Errors raise ProviderError subclasses.
    """

    name: str

    def stream(self, request: ChatRequest, *, model: str) -> AsyncIterator[StreamEvent]: ...

    async def count_tokens(self, text: str, *, model: str) -> int | None:
        """The model's own token count, or None when the provider cannot tell."""
        ...

    async def close(self) -> None: ...


class Embedder(Protocol):
    """Text to vectors, batched. Vectors are L2-normalised."""

    name: str
    dimensions: int

    async def embed(self, texts: Sequence[str], *, background: bool = False) -> list[list[float]]:
        """`background`: indexing, which may wait for a reply's query (where the
        embedder can order its work; others ignore it)."""
        ...

    async def close(self) -> None: ...
