"""Real MCP servers for the MCP tests, written with the mcp package's server API: the same
tools over stdio (mcp_stdio_server.py run with sys.executable) and over streamable HTTP (served on a
thread by ServedApp). `crash` ends the process mid-call; `hang` never answers; `secret`
tells whether the server got the environment variable it was configured with."""

from __future__ import annotations

import sys
from typing import Literal

from tests.support import mcp_stdio_server
from tests.support.mcp_stdio_server import build
from tests.support.served import ServedApp

STDIO_SCRIPT = mcp_stdio_server.__file__


def stdio_command() -> tuple[str, list[str]]:
    """The command and arguments that run this file as a stdio MCP server."""
    return sys.executable, [STDIO_SCRIPT]


class HttpMcp(ServedApp):
    """The tools over streamable HTTP at http://127.0.0.1:<port>/mcp."""

    lifespan: Literal["on", "off"] = "on"  # the SDK's session manager runs in the app's lifespan

    def __init__(self) -> None:
        super().__init__()
        self.app = build("http").streamable_http_app()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"
