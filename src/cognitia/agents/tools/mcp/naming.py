"""How an MCP tool is named to the model: `mcp-<server>-<tool>`, a valid OpenAI function
name (^[a-zA-Z0-9_-]{1,64}$). Server names have no hyphen, so the first one after the
prefix splits the two parts. Pure functions."""

from __future__ import annotations

import re

PREFIX = "mcp-"
SERVER_NAME = r"^[a-z0-9_]{1,32}$"
_SERVER = re.compile(SERVER_NAME)
_FUNCTION = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def is_mcp(name: str) -> bool:
    return name.startswith(PREFIX)


def tool_name(server: str, tool: str) -> str | None:
    """The model's name for a server's tool; None when it cannot be one (too long, odd
    characters): such a tool is left out."""
    name = f"{PREFIX}{server}-{tool}"
    return name if _FUNCTION.match(name) else None


def split(name: str) -> tuple[str, str] | None:
    """(server, tool) of an MCP tool name; None when the name is not one."""
    if not is_mcp(name) or not _FUNCTION.match(name):
        return None
    server, _, tool = name[len(PREFIX) :].partition("-")
    if not tool or not _SERVER.match(server):
        return None
    return server, tool
