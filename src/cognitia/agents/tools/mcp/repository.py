"""All SQL of the MCP servers' table."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.models.mcp_server import McpServer


def _visible_to(user_id: str | None) -> ColumnElement[bool]:
    """A user's own servers and those offered to everyone; None: only the latter."""
    if user_id is None:
        return McpServer.owner_user_id.is_(None)
    return or_(McpServer.owner_user_id == user_id, McpServer.owner_user_id.is_(None))


async def get_visible(session: AsyncSession, server_id: str, user_id: str) -> McpServer | None:
    """The server when it is the user's own or offered to everyone."""
    query = select(McpServer).where(McpServer.id == server_id, _visible_to(user_id))
    return (await session.execute(query)).scalar_one_or_none()


async def list_visible(session: AsyncSession, user_id: str) -> list[McpServer]:
    query = (
        select(McpServer)
        .where(_visible_to(user_id))
        .order_by(McpServer.owner_user_id.is_not(None), McpServer.name)
    )
    return list((await session.execute(query)).scalars())


async def name_taken(session: AsyncSession, name: str, owner_id: str | None) -> bool:
    """Whether the name is in use where it would clash: among the owner's servers and
    the admin's; an admin's name clashes with any."""
    query = select(McpServer.id).where(McpServer.name == name)
    if owner_id is not None:
        query = query.where(_visible_to(owner_id))
    return (await session.execute(query.limit(1))).first() is not None


async def usable_by_name(
    session: AsyncSession, owner_id: str | None, names: list[str]
) -> list[McpServer]:
    """The enabled servers of these names the owner may use; where the owner's name and an
    admin's are the same, the admin's (created later) wins."""
    query = select(McpServer).where(
        McpServer.name.in_(names), McpServer.enabled.is_(True), _visible_to(owner_id)
    )
    rows = list((await session.execute(query)).scalars())
    chosen: dict[str, McpServer] = {}
    for row in rows:
        if row.name not in chosen or row.owner_user_id is None:
            chosen[row.name] = row
    return list(chosen.values())


async def visible_names(session: AsyncSession, owner_id: str, names: list[str]) -> set[str]:
    """Which of these server names the owner may use (enabled or not)."""
    query = select(McpServer.name).where(McpServer.name.in_(names), _visible_to(owner_id))
    return set((await session.execute(query)).scalars())
