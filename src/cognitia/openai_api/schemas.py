"""Request bodies of the OpenAI-compatible API (/v1), and their translation to our ports.

Unknown request fields are ignored, as OpenAI's clients send many optional ones; fields
we read are validated strictly.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cognitia.llm.ports import ChatMessage, ChatRequest, Role, Sampling, ToolCall

MAX_STOP_SEQUENCES = 4
MAX_EMBEDDING_INPUTS = 2048


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TextPart(_Lenient):
    type: Literal["text"]
    text: str


class FunctionIn(_Lenient):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    arguments: str = ""


class ToolCallIn(_Lenient):
    """A tool call of an earlier assistant turn, as the client sends it back."""

    id: Annotated[str, Field(min_length=1, max_length=128)]
    type: Literal["function"] = "function"
    function: FunctionIn


class MessageIn(_Lenient):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None
    name: Annotated[str, Field(max_length=64)] | None = None
    tool_calls: list[ToolCallIn] | None = None
    tool_call_id: Annotated[str, Field(max_length=128)] | None = None

    def to_message(self) -> ChatMessage:
        role_map: dict[str, Role] = {"developer": "system"}
        calls = tuple(
            ToolCall(call.id, call.function.name, call.function.arguments, index)
            for index, call in enumerate(self.tool_calls or [])
        )
        return ChatMessage(
            role=role_map.get(self.role, self.role),  # type: ignore[arg-type]
            content=self.text(),
            name=self.name,
            tool_calls=calls,
            tool_call_id=self.tool_call_id,
        )

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class StreamOptions(_Lenient):
    include_usage: bool = False


class ChatCompletionRequest(_Lenient):
    model: Annotated[str, Field(min_length=1, max_length=200)]
    messages: Annotated[list[MessageIn], Field(min_length=1)]
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(gt=0, le=1)] | None = None
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1)] | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    n: Annotated[int, Field(ge=1, le=1, description="Only one choice is supported.")] = 1
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    user: str | None = None

    @field_validator("stop")
    @classmethod
    def _stop_limits(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and len(value) > MAX_STOP_SEQUENCES:
            raise ValueError(f"at most {MAX_STOP_SEQUENCES} stop sequences")
        return value

    @field_validator("response_format")
    @classmethod
    def _known_format(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and value.get("type") not in {"text", "json_object", "json_schema"}:
            raise ValueError("type must be text, json_object or json_schema")
        return value

    def stop_sequences(self) -> tuple[str, ...]:
        if self.stop is None:
            return ()
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)

    def to_request(self) -> ChatRequest:
        messages = [m.to_message() for m in self.messages]
        response_format = self.response_format
        if response_format is not None and response_format.get("type") == "text":
            response_format = None
        return ChatRequest(
            messages=messages,
            sampling=Sampling(
                temperature=self.temperature,
                top_p=self.top_p,
                max_tokens=self.max_completion_tokens or self.max_tokens,
                stop=self.stop_sequences(),
                seed=self.seed,
            ),
            response_format=response_format,
            tools=self.tools,
        )


class EmbeddingRequest(_Lenient):
    input: str | Annotated[list[str], Field(min_length=1, max_length=MAX_EMBEDDING_INPUTS)]
    model: Annotated[str, Field(min_length=1, max_length=200)] = "default"
    encoding_format: Literal["float", "base64"] = "float"

    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)
