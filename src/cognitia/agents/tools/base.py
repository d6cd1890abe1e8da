"""A tool: its name, what it does, the JSON schema of its arguments, who may let it run,
and the coroutine that runs it. Tools answer in text; a failure is a result, not an error
that ends the reply (the model reads it and answers the person)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cognitia.db import Database
from cognitia.retrieval.service import Retrieval


class Policy(StrEnum):
    """always: runs when called; ask: runs once a member of the chat approves it (the reply
    waits, chats/approvals.py); never: not offered, and a call anyway is refused. The values
    are config.ToolPolicyName's."""

    ALWAYS = "always"
    ASK = "ask"
    NEVER = "never"


class ToolError(Exception):
    """A tool's expected failure; its message becomes the (not ok) result text."""


@dataclass(frozen=True)
class ToolContext:
    """Whom a call acts for: the person whose private memory the reply may use (None in a
    shared chat where it may not: memory tools refuse), the character answering, the
    chat; and the ports the built-ins read through."""

    db: Database
    user_id: str | None
    character_id: str
    chat_id: str | None = None
    index: Retrieval | None = None


@dataclass(frozen=True)
class ToolResult:
    ok: bool
    text: str
    # A call the plan refused (billing/quotas.py): the refusal's body (error, limit,
    # reset_at, upgrade_to), shown in the tool.result event; the model reads `text`.
    limit: dict[str, Any] | None = None


Runner = Callable[[dict[str, Any], ToolContext], Awaitable[str]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]  # JSON schema of the arguments object
    runner: Runner = field(repr=False)
    policy: Policy = Policy.ALWAYS
    # Its own time limit, in place of tools.timeout_seconds (an MCP server's call timeout).
    timeout_seconds: float | None = None
    # Runs code in the sandbox: each call is also one of the plan's Python runs a day.
    sandboxed: bool = False

    async def run(self, args: dict[str, Any], context: ToolContext) -> str:
        return await self.runner(args, context)

    def spec(self) -> dict[str, Any]:
        """The tool as a ChatRequest offers it (OpenAI function shape)."""
        function = {"name": self.name, "description": self.description}
        return {"type": "function", "function": {**function, "parameters": self.parameters}}


def object_schema(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """An arguments schema: an object of these properties, nothing else."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


# The arguments of every search tool (knowledge, memories): one query, a few results.
SEARCH_ARGUMENTS = object_schema(
    {
        "query": {"type": "string", "minLength": 1, "maxLength": 500},
        "limit": {"type": "integer", "minimum": 1, "maximum": 10},
    },
    required=("query",),
)
