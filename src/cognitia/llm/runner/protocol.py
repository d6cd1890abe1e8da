"""The runner's request bodies: a subset of OpenAI's, plus /v1/tokenize.

`model` names a catalogue entry: the provider (chat) or the embedder, so one runner
serves every local model of a catalogue.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from cognitia.llm.ports import ChatMessage, ChatRequest, Role, Sampling

HEALTH = "/health"
CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"
EMBEDDINGS = "/v1/embeddings"
TOKENIZE = "/v1/tokenize"


class Health(TypedDict):
    """GET /health: what the supervisor watches (a stalled generation gets the runner
    restarted)."""

    status: str
    generating: int
    stalled_seconds: float
    chat_models: list[str]
    embedders: list[str]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Message(_Body):
    role: Role
    content: str
    name: str | None = None


class CompletionBody(_Body):
    model: str
    messages: list[Message] | None = None
    prompt: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = Field(None, ge=1)
    seed: int | None = None
    stop: list[str] | str | None = None
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    priority: Literal["interactive", "background"] = "interactive"

    def chat_request(self) -> ChatRequest:
        stop = [self.stop] if isinstance(self.stop, str) else (self.stop or [])
        sampling = Sampling(
            temperature=self.temperature,
            top_p=self.top_p,
            max_tokens=self.max_tokens,
            stop=tuple(stop),
            seed=self.seed,
        )
        messages = [ChatMessage(m.role, m.content, m.name) for m in self.messages or []]
        return ChatRequest(
            messages,
            sampling=sampling,
            response_format=self.response_format,
            tools=self.tools,
            prompt=self.prompt,
            background=self.priority == "background",
        )


class EmbeddingsBody(_Body):
    model: str
    input: list[str] | str
    # Not in OpenAI's API: a reply's query ("interactive") is embedded before indexing.
    priority: Literal["interactive", "background"] = "interactive"


class TokenizeBody(_Body):
    model: str
    text: str
