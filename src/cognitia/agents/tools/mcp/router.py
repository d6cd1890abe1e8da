"""/api/v2/mcp-servers: MCP tool servers, the caller's and those offered to everyone."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from cognitia.agents.tools.mcp import service
from cognitia.agents.tools.mcp.schemas import (
    McpServerCreate,
    McpServerList,
    McpServerRead,
    McpServerUpdate,
)
from cognitia.auth.dependencies import CurrentUser
from cognitia.auth.schemas import ResourceId
from cognitia.http.deps import McpDep as ConnectionsDep
from cognitia.http.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/api/v2/mcp-servers", tags=["mcp"])


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated"},
    404: {"description": "mcp_server_not_found (also another person's server)"},
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    403: {"description": "mcp_stdio_admin_only, mcp_admin_server, admin_required (everyone)"},
    409: {"description": "mcp_server_name_taken"},
    422: {"description": "mcp_invalid_server, mcp_blocked_address, validation_error"},
}


@router.get("", responses=_ERRORS)
async def list_servers(
    user: CurrentUser, session: SessionDep, connections: ConnectionsDep
) -> McpServerList:
    """The caller's servers and those offered to everyone, with this process's status."""
    return await service.list_servers(session, user=user, connections=connections)


@router.post("", status_code=status.HTTP_201_CREATED, responses=_WRITE_ERRORS)
async def create_server(
    data: McpServerCreate,
    user: CurrentUser,
    session: SessionDep,
    connections: ConnectionsDep,
    settings: SettingsDep,
) -> McpServerRead:
    """Add a server: http for anyone, stdio for admins; `everyone` for admins."""
    return await service.create(
        session, user=user, data=data, connections=connections, fetching=settings.tools.fetch
    )


@router.get("/{server_id}", responses=_ERRORS)
async def get_server(
    server_id: ResourceId, user: CurrentUser, session: SessionDep, connections: ConnectionsDep
) -> McpServerRead:
    return await service.get(session, user=user, server_id=server_id, connections=connections)


@router.patch("/{server_id}", responses=_WRITE_ERRORS)
async def update_server(  # noqa: PLR0913 - FastAPI dependencies, one each
    server_id: ResourceId,
    data: McpServerUpdate,
    user: CurrentUser,
    session: SessionDep,
    connections: ConnectionsDep,
    settings: SettingsDep,
) -> McpServerRead:
    """Change a server; its connection is closed, the next use opens it anew."""
    return await service.update(
        session,
        user=user,
        server_id=server_id,
        data=data,
        connections=connections,
        fetching=settings.tools.fetch,
    )


@router.delete("/{server_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_WRITE_ERRORS)
async def delete_server(
    server_id: ResourceId, user: CurrentUser, session: SessionDep, connections: ConnectionsDep
) -> None:
    await service.delete(session, user=user, server_id=server_id, connections=connections)


@router.post("/{server_id}/refresh", responses=_ERRORS)
async def refresh_server(
    server_id: ResourceId, user: CurrentUser, session: SessionDep, connections: ConnectionsDep
) -> McpServerRead:
    """Connect now, list the tools, and return the status, the tools and the last error."""
    return await service.refresh(session, user=user, server_id=server_id, connections=connections)
