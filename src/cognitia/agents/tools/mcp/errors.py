"""Errors of the MCP servers' API.

NotFound (404)
└── McpServerNotFound (mcp_server_not_found): no such server, or another person's
Forbidden (403)
├── McpStdioAdminOnly (mcp_stdio_admin_only): only admins add or change stdio servers
└── McpAdminServer (mcp_admin_server): only admins change servers offered to everyone
Conflict (409)
└── McpServerNameTaken (mcp_server_name_taken)
Unprocessable (422)
├── McpInvalidServer (mcp_invalid_server): fields that do not fit the transport
└── McpBlockedAddress (mcp_blocked_address): a user's URL that is not a public address
"""

from __future__ import annotations

from cognitia.errors import Conflict, Forbidden, NotFound, Unprocessable


class McpServerNotFound(NotFound):
    code = "mcp_server_not_found"
    default_detail = "No such MCP server."


class McpStdioAdminOnly(Forbidden):
    code = "mcp_stdio_admin_only"
    default_detail = "Only admins may add stdio MCP servers: they run a command on the host."


class McpAdminServer(Forbidden):
    code = "mcp_admin_server"
    default_detail = "Only admins may change or delete an MCP server offered to everyone."


class McpServerNameTaken(Conflict):
    code = "mcp_server_name_taken"
    default_detail = "An MCP server with this name exists."


class McpInvalidServer(Unprocessable):
    code = "mcp_invalid_server"
    default_detail = "The server's fields do not fit its transport."


class McpBlockedAddress(Unprocessable):
    code = "mcp_blocked_address"
    default_detail = "The URL is not a public address."
