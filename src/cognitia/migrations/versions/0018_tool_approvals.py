"""tool consent: a character's tool policies; tool calls waiting for a member's approval

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cognitia.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("pending", "approved", "declined", "expired")


def upgrade() -> None:
    # Existing characters override nothing: each tool keeps its default policy.
    with op.batch_alter_table("character") as batch:
        batch.add_column(
            sa.Column(
                "tool_policies",
                cognitia.db.JSONType,
                nullable=False,
                server_default=sa.text("'{}'"),
            )
        )
    op.create_table(
        "tool_approval",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("chat_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("call_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("arguments", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="approvalstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", cognitia.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chat.id"], name=op.f("fk_tool_approval_chat_id_chat"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_tool_approval_message_id_message"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["user.id"],
            name=op.f("fk_tool_approval_decided_by_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tool_approval")),
    )
    with op.batch_alter_table("tool_approval") as batch:
        batch.create_index("ix_tool_approval_chat_call", ["chat_id", "call_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tool_approval") as batch:
        batch.drop_index("ix_tool_approval_chat_call")
    op.drop_table("tool_approval")
    with op.batch_alter_table("character") as batch:
        batch.drop_column("tool_policies")
