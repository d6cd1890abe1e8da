"""Tools from MCP servers (docs/tools.md, MCP): the servers' table through the API, and the
connections this process holds to them."""
