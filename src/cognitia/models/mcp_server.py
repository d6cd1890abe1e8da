from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, JSONType, UTCDateTime, str_enum
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id


class McpTransport(enum.StrEnum):
    STDIO = "stdio"
    HTTP = "http"


class McpServer(Base):
    """An MCP tool server (agents/tools/mcp): run as a command (stdio, admins only) or
    reached at a URL (streamable HTTP). `owner_user_id` NULL: configured by an admin,
    offered to everyone. `env` and `headers` hold secrets: the API returns their names only.
    """

    __tablename__ = "mcp_server"
    __table_args__ = (
        # One name per owner; the admin's (owner NULL) names are one namespace of their own.
        Index(
            "uq_mcp_server_owner_name",
            "owner_user_id",
            "name",
            unique=True,
            sqlite_where=text("owner_user_id IS NOT NULL"),
            postgresql_where=text("owner_user_id IS NOT NULL"),
        ),
        Index(
            "uq_mcp_server_admin_name",
            "name",
            unique=True,
            sqlite_where=text("owner_user_id IS NULL"),
            postgresql_where=text("owner_user_id IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), default=None, index=True
    )
    name: Mapped[str] = mapped_column(String(32))
    transport: Mapped[McpTransport] = mapped_column(str_enum(McpTransport))
    command: Mapped[str | None] = mapped_column(Text, default=None)
    args: Mapped[list[str]] = mapped_column(JSONType, default=list)
    env: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    headers: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    connect_timeout_seconds: Mapped[float] = mapped_column(Float, default=10.0)
    call_timeout_seconds: Mapped[float] = mapped_column(Float, default=30.0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
