"""MCP servers: who may add, see and change which, their fields checked for their
transport, and their status as this process's connections see it (docs/tools.md).

Stdio servers run a command on the host: admins only. A user's HTTP server is held to the
fetch address rules (public addresses, or tools.fetch.allow); a server an admin offers to
everyone may be internal. Another person's server is not found (404).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.agents.fetch import FetchError
from cognitia.agents.fetch.address import AllowList, is_public, parse_target
from cognitia.agents.tools.mcp import naming, repository
from cognitia.agents.tools.mcp.connections import McpConnections
from cognitia.agents.tools.mcp.errors import (
    McpAdminServer,
    McpBlockedAddress,
    McpInvalidServer,
    McpServerNameTaken,
    McpServerNotFound,
    McpStdioAdminOnly,
)
from cognitia.agents.tools.mcp.schemas import (
    McpServerCreate,
    McpServerList,
    McpServerRead,
    McpServerUpdate,
    McpStatusRead,
    McpToolRead,
)
from cognitia.agents.tools.mcp.spec import ServerSpec, ServerStatus
from cognitia.config import FetchSettings
from cognitia.errors import AdminRequired
from cognitia.models.mcp_server import McpServer, McpTransport
from cognitia.models.user import User


async def list_servers(
    session: AsyncSession, *, user: User, connections: McpConnections
) -> McpServerList:
    rows = await repository.list_visible(session, user.id)
    return McpServerList(items=[read(row, user, connections.status(row.id)) for row in rows])


async def get(
    session: AsyncSession, *, user: User, server_id: str, connections: McpConnections
) -> McpServerRead:
    row = await _visible(session, user, server_id)
    return read(row, user, connections.status(row.id))


async def create(
    session: AsyncSession,
    *,
    user: User,
    data: McpServerCreate,
    connections: McpConnections,
    fetching: FetchSettings,
) -> McpServerRead:
    if data.everyone and not user.is_admin:
        raise AdminRequired("Only admins offer MCP servers to everyone.")
    owner_id = None if data.everyone else user.id
    fields = data.model_dump(exclude={"everyone"})
    row = McpServer(owner_user_id=owner_id, **fields)
    _check(row, user, fetching)
    if await repository.name_taken(session, row.name, owner_id):
        raise McpServerNameTaken()
    session.add(row)
    await session.flush()
    return read(row, user, connections.status(row.id))


async def update(  # noqa: PLR0913 - the request's session, caller, id, body and two ports
    session: AsyncSession,
    *,
    user: User,
    server_id: str,
    data: McpServerUpdate,
    connections: McpConnections,
    fetching: FetchSettings,
) -> McpServerRead:
    row = await _changeable(session, user, server_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    renamed = changes.get("name", row.name) != row.name
    if renamed and await repository.name_taken(session, changes["name"], row.owner_user_id):
        raise McpServerNameTaken()
    for field, value in changes.items():
        setattr(row, field, value)
    _check(row, user, fetching)
    await session.flush()
    await connections.forget(row.id)  # the next use connects with the new fields
    return read(row, user, connections.status(row.id))


async def delete(
    session: AsyncSession, *, user: User, server_id: str, connections: McpConnections
) -> None:
    row = await _changeable(session, user, server_id)
    await session.delete(row)
    await session.flush()
    await connections.forget(row.id)


async def refresh(
    session: AsyncSession, *, user: User, server_id: str, connections: McpConnections
) -> McpServerRead:
    """Connect now (a disabled server too, to try it), list its tools, report the outcome."""
    row = await _visible(session, user, server_id)
    status = await connections.refresh(ServerSpec.of(row))
    return read(row, user, status)


def read(row: McpServer, user: User, status: ServerStatus) -> McpServerRead:
    """The server as `user` may see it: secrets by name only; of a server offered to
    everyone, a user who is no admin sees no command, arguments or URL either."""
    shown = user.is_admin or row.owner_user_id == user.id
    return McpServerRead(
        id=row.id,
        name=row.name,
        transport=row.transport,
        everyone=row.owner_user_id is None,
        command=row.command if shown else None,
        args=list(row.args) if shown else [],
        env_names=sorted(row.env) if shown else [],
        url=row.url if shown else None,
        header_names=sorted(row.headers) if shown else [],
        connect_timeout_seconds=row.connect_timeout_seconds,
        call_timeout_seconds=row.call_timeout_seconds,
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
        status=_status(row.name, status),
    )


def _status(server: str, status: ServerStatus) -> McpStatusRead:
    tools = []
    for remote in status.tools:
        name = naming.tool_name(server, remote.name)
        offered = name is not None
        tools.append(
            McpToolRead(
                name=name or "", tool=remote.name, description=remote.description, offered=offered
            )
        )
    return McpStatusRead(
        state=status.state, last_error=status.last_error, checked_at=status.checked_at, tools=tools
    )


async def _visible(session: AsyncSession, user: User, server_id: str) -> McpServer:
    row = await repository.get_visible(session, server_id, user.id)
    if row is None:
        raise McpServerNotFound()
    return row


async def _changeable(session: AsyncSession, user: User, server_id: str) -> McpServer:
    row = await _visible(session, user, server_id)
    if row.owner_user_id is None and not user.is_admin:
        raise McpAdminServer()
    if row.transport is McpTransport.STDIO and not user.is_admin:
        raise McpStdioAdminOnly()
    return row


def _check(row: McpServer, user: User, fetching: FetchSettings) -> None:
    """The fields fit the transport; stdio is the admins'; a user's URL may be reached."""
    if row.transport is McpTransport.STDIO:
        if not user.is_admin:
            raise McpStdioAdminOnly()
        if not row.command:
            raise McpInvalidServer("A stdio server needs a command.")
        if row.url or row.headers:
            raise McpInvalidServer("A stdio server has no url or headers.")
        return
    if row.command or row.args or row.env:
        raise McpInvalidServer("An http server has no command, args or env.")
    if not row.url:
        raise McpInvalidServer("An http server needs a url.")
    _check_url(row.url, checked=row.owner_user_id is not None, fetching=fetching)


def _check_url(url: str, *, checked: bool, fetching: FetchSettings) -> None:
    try:
        target = parse_target(url)
    except FetchError as exc:
        raise McpInvalidServer(f"url: {exc.detail}") from None
    if not checked or target.literal is None:
        return  # names are resolved and checked at every connect
    allow = AllowList.parse(fetching.allow)
    if not (
        is_public(target.literal)
        or allow.allows_address(target.literal)
        or allow.allows_host(target.host)
    ):
        raise McpBlockedAddress()
