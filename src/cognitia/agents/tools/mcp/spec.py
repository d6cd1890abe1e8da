"""What a connection needs to know of a server, copied from its row, and what this
process knows of its state. No ORM object crosses into the connections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from cognitia.models.mcp_server import McpServer, McpTransport

State = Literal["idle", "connected", "broken"]


@dataclass(frozen=True)
class ServerSpec:
    id: str
    name: str
    transport: McpTransport
    command: str | None
    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    url: str | None
    headers: tuple[tuple[str, str], ...]
    connect_timeout_seconds: float
    call_timeout_seconds: float
    # A user's HTTP server is held to the fetch address rules; an admin's may be internal.
    checked_address: bool
    version: datetime  # the row's updated_at: a changed row reconnects

    @classmethod
    def of(cls, row: McpServer) -> ServerSpec:
        return cls(
            id=row.id,
            name=row.name,
            transport=row.transport,
            command=row.command,
            args=tuple(row.args),
            env=tuple(sorted(row.env.items())),
            url=row.url,
            headers=tuple(sorted(row.headers.items())),
            connect_timeout_seconds=row.connect_timeout_seconds,
            call_timeout_seconds=row.call_timeout_seconds,
            checked_address=row.owner_user_id is not None,
            version=row.updated_at,
        )


@dataclass(frozen=True)
class RemoteTool:
    """A tool as the server lists it."""

    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass
class ServerStatus:
    state: State = "idle"
    last_error: str | None = None
    tools: list[RemoteTool] = field(default_factory=list)
    checked_at: datetime | None = None
