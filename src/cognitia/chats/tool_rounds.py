"""Tool rounds in a reply: which tools a reply offers, and the request that follows a round
of calls (the assistant's calls and each result appended, as OpenAI and Anthropic expect).

A reply offers tools when its character names some, the process has a tool box, and the
model it is routed to declares the "tools" capability in the catalogue (native calls) or
"tools-prompt" (calls through the prompt, llm/tool_prompt.py); otherwise the request goes
out as before, without them (docs/tools.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cognitia.agents.tools.base import ToolResult
from cognitia.agents.tools.registry import ToolBox
from cognitia.llm import logic, service, tool_prompt
from cognitia.llm.ports import ChatMessage, ChatRequest, ToolCall
from cognitia.llm.registry import ModelRegistry


def offered(
    box: ToolBox | None,
    names: list[str],
    chosen: Mapping[str, str],
    models: ModelRegistry,
    target: logic.Target,
) -> list[dict[str, Any]] | None:
    """The tool specs a reply sends (not those whose policy for the character, `chosen`
    by its owner, is never), or None when it sends none."""
    if box is None or not names:
        return None
    try:
        chain, _ = service.resolve_chain(models, target)
    except service.UnknownModelError:
        return None
    if not chain or not tool_prompt.offers_tools(models.model(chain[0]).capabilities):
        return None
    return box.specs(names, chosen) or None


async def box_for(box: ToolBox | None, servers_of: str | None, names: list[str]) -> ToolBox | None:
    """The box a reply runs with: the MCP tools its character names join (agents/tools/mcp),
    from `servers_of`'s servers and the admin's (None: the admin's only)."""
    if box is None or not names:
        return box
    return await box.for_reply(servers_of, names)


def servers_of(owner_id: str, private_user_id: str | None) -> str | None:
    """Whose MCP servers a reply may call besides the admin's: its character owner's only
    when the reply may use that person's private things (chats/privacy.py), as the memory
    tools act only for that person. A user's server may reach their mail or files: another
    person chatting with their public character, or a member of a shared chat the owner has
    not opened to their private things, gets the admin's servers only."""
    return owner_id if private_user_id == owner_id else None


def follow_up(
    request: ChatRequest,
    text: str,
    calls: list[ToolCall],
    results: list[ToolResult],
    *,
    last: bool,
) -> ChatRequest:
    """The next round's request; on the `last` it offers no tools, so the model answers."""
    turns = [ChatMessage("assistant", text, tool_calls=tuple(calls))]
    turns += [
        ChatMessage("tool", result.text, tool_call_id=call.id)
        for call, result in zip(calls, results, strict=True)
    ]
    tools = None if last else request.tools
    return replace(request, messages=[*request.messages, *turns], tools=tools, prompt=None)


def record(call: ToolCall, result: ToolResult) -> dict[str, Any]:
    """A call as the message stores it; with `limit` when the plan refused it, so a reload
    shows the refusal as the live event did."""
    stored: dict[str, Any] = {
        "id": call.id,
        "name": call.name,
        "arguments": call.arguments,
        "result": result.text,
        "ok": result.ok,
    }
    if result.limit is not None:
        stored["limit"] = result.limit
    return stored
