"""memory facts and summaries

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import cognitia.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_summary",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("chat_id", sa.String(length=36), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("covers_up_to_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chat.id"], name=op.f("fk_chat_summary_chat_id_chat"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_summary")),
    )
    with op.batch_alter_table("chat_summary", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_summary_chat_id"), ["chat_id"], unique=False)

    op.create_table(
        "memory_fact",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("character_id", sa.String(length=36), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "preference",
                "biography",
                "plan",
                "relationship",
                "other",
                name="factcategory",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("happened_at", sa.String(length=100), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "superseded",
                "forgotten",
                name="factstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("superseded_by", sa.String(length=36), nullable=True),
        sa.Column(
            "source_message_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["character_id"],
            ["character.id"],
            name=op.f("fk_memory_fact_character_id_character"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_memory_fact_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_fact")),
    )
    with op.batch_alter_table("memory_fact", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_memory_fact_character_id"), ["character_id"], unique=False
        )
        batch_op.create_index(
            "ix_memory_fact_scope_status", ["character_id", "user_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_memory_fact_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("memory_fact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memory_fact_user_id"))
        batch_op.drop_index("ix_memory_fact_scope_status")
        batch_op.drop_index(batch_op.f("ix_memory_fact_character_id"))

    op.drop_table("memory_fact")
    with op.batch_alter_table("chat_summary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_summary_chat_id"))

    op.drop_table("chat_summary")
