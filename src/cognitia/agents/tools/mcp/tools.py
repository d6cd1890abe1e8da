"""MCP tools as registry Tools: for one reply, the tools its character names from the
servers its owner may use, each call run through the connection and its result turned
into text. A server that cannot be reached is skipped; its tools are not offered."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from mcp_types import CallToolResult

from cognitia.agents.tools.base import Tool, ToolContext, ToolError
from cognitia.agents.tools.mcp import naming, repository
from cognitia.agents.tools.mcp.connection import CallFailed, ConnectFailed
from cognitia.agents.tools.mcp.connections import McpConnections
from cognitia.agents.tools.mcp.spec import RemoteTool, ServerSpec
from cognitia.db import Database

log = logging.getLogger(__name__)

# The call timeout is the server's: its own limit answers first, this one only backs it up.
GRACE_SECONDS = 5.0
MAX_DESCRIPTION = 1024


class McpTools:
    """What the registry asks for MCP tools: the servers' table and the connections."""

    def __init__(self, db: Database, connections: McpConnections, max_tools: int) -> None:
        self._db = db
        self.connections = connections
        self._max_tools = max_tools

    async def for_owner(self, owner_id: str | None, names: list[str]) -> list[Tool]:
        """The named MCP tools of the servers `owner_id` may use that answer now (None:
        only the servers an admin offers to everyone)."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for name in names:
            if (parts := naming.split(name)) is not None:
                wanted[parts[0]].add(parts[1])
        if not wanted:
            return []
        async with self._db.read() as session:
            rows = await repository.usable_by_name(session, owner_id, sorted(wanted))
        specs = [ServerSpec.of(row) for row in rows]
        found = await asyncio.gather(*(self._server_tools(s, wanted[s.name]) for s in specs))
        return [tool for tools in found for tool in tools]

    async def _server_tools(self, spec: ServerSpec, wanted: set[str]) -> list[Tool]:
        try:
            connection = await self.connections.connection(spec)
        except ConnectFailed as exc:
            log.info("MCP server %s skipped: %s", spec.name, exc)
            return []
        listed = connection.tools[: self._max_tools]
        return [t for r in listed if r.name in wanted and (t := self._tool(spec, r)) is not None]

    def _tool(self, spec: ServerSpec, remote: RemoteTool) -> Tool | None:
        name = naming.tool_name(spec.name, remote.name)
        schema = remote.input_schema or {"type": "object"}
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError:
            log.info(
                "MCP tool %s of %s left out: its input schema is invalid", remote.name, spec.name
            )
            return None
        if name is None:
            return None
        connections = self.connections

        async def run(args: dict[str, Any], context: ToolContext) -> str:
            try:
                result = await connections.call(spec, remote.name, args)
            except CallFailed as exc:
                raise ToolError(f"MCP server {spec.name!r}: {exc}") from None
            text = as_text(result)
            if result.is_error:
                raise ToolError(text or "the tool reported an error")
            return text

        return Tool(
            name=name,
            description=(remote.description or remote.name)[:MAX_DESCRIPTION],
            parameters=schema,
            runner=run,
            timeout_seconds=spec.call_timeout_seconds + GRACE_SECONDS,
        )


def as_text(result: CallToolResult) -> str:
    """The result's text parts; other parts named by their kind (images are not passed on)."""
    parts: list[str] = []
    for item in result.content:
        text = getattr(item, "text", None)
        parts.append(text if isinstance(text, str) else f"[{item.type} content]")
    if not parts and result.structured_content is not None:
        return str(result.structured_content)
    return "\n".join(parts)
