"""A real MCP server (the mcp package's server API) over stdio, run by the MCP tests with
sys.executable: `crash` ends the process mid-call; `hang` never answers; `secret` tells
whether the configured environment variable arrived. Imports nothing of the tests."""

from __future__ import annotations

import asyncio
import os

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError


def build(name: str = "test") -> MCPServer:
    server = MCPServer(name)

    @server.tool(description="Repeat the text back.")
    def echo(text: str) -> str:
        return f"echo: {text}"

    @server.tool(description="Whether MCP_TEST_SECRET reached the server.")
    def secret() -> str:
        return "secret: " + ("set" if os.environ.get("MCP_TEST_SECRET") else "missing")

    @server.tool(description="The server's process id.")
    def pid() -> str:
        return str(os.getpid())

    @server.tool(description="End the server's process in the middle of the call.")
    def crash() -> str:
        os._exit(3)

    @server.tool(description="Never answer.")
    async def hang() -> str:
        await asyncio.sleep(3600)
        return "late"

    @server.tool(description="Fail the way a tool fails.")
    def fail() -> str:
        # An anticipated failure: an is_error result, not a crash logged with its trace
        raise ToolError("the tool broke")

    return server


if __name__ == "__main__":
    build("stdio").run("stdio")
