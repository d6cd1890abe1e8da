"""coaching sessions (agents/sessions): a session owns a 1:1 chat, its notes as JSON

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07 04:30:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import cognitia.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "coaching_session",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("character_id", sa.String(length=36), nullable=False),
        sa.Column("chat_id", sa.String(length=36), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "ended", name="sessionstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("carried_items", _json(), nullable=False),
        sa.Column("notes", _json(), nullable=True),
        sa.Column("notes_error", sa.String(length=32), nullable=True),
        sa.Column("started_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", cognitia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_coaching_session_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["character_id"],
            ["character.id"],
            name=op.f("fk_coaching_session_character_id_character"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chat.id"],
            name=op.f("fk_coaching_session_chat_id_chat"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_session")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_coaching_session_chat_id")),
    )
    with op.batch_alter_table("coaching_session") as batch:
        batch.create_index(
            "ix_coaching_session_user_character", ["user_id", "character_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("coaching_session") as batch:
        batch.drop_index("ix_coaching_session_user_character")
    op.drop_table("coaching_session")
