"""MCP tool servers (agents/tools/mcp): stdio commands and streamable-HTTP URLs

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 10:30:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import cognitia.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNED = "owner_user_id IS NOT NULL"
ADMINS = "owner_user_id IS NULL"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mcp_server",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_user_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column(
            "transport",
            sa.Enum("stdio", "http", name="mcptransport", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("command", sa.Text(), nullable=True),
        sa.Column("args", _json(), nullable=False),
        sa.Column("env", _json(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("headers", _json(), nullable=False),
        sa.Column("connect_timeout_seconds", sa.Float(), nullable=False),
        sa.Column("call_timeout_seconds", sa.Float(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["user.id"],
            name=op.f("fk_mcp_server_owner_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mcp_server")),
    )
    with op.batch_alter_table("mcp_server") as batch:
        batch.create_index(op.f("ix_mcp_server_owner_user_id"), ["owner_user_id"], unique=False)
        batch.create_index(
            "uq_mcp_server_owner_name",
            ["owner_user_id", "name"],
            unique=True,
            sqlite_where=sa.text(OWNED),
            postgresql_where=sa.text(OWNED),
        )
        batch.create_index(
            "uq_mcp_server_admin_name",
            ["name"],
            unique=True,
            sqlite_where=sa.text(ADMINS),
            postgresql_where=sa.text(ADMINS),
        )


def downgrade() -> None:
    with op.batch_alter_table("mcp_server") as batch:
        batch.drop_index("uq_mcp_server_admin_name")
        batch.drop_index("uq_mcp_server_owner_name")
        batch.drop_index(op.f("ix_mcp_server_owner_user_id"))
    op.drop_table("mcp_server")
