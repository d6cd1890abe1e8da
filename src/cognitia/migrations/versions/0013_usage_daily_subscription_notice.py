"""usage per day (the daily metrics job), the subscription e-mails sent, generation slots

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-07 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cognitia.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_usage_daily() -> None:
    op.create_table(
        "usage_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("plan_id", sa.String(length=32), nullable=True),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_nanousd", sa.BigInteger(), nullable=False),
        sa.Column("audio_seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_usage_daily_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("day", "user_id", "model", name=op.f("pk_usage_daily")),
    )
    with op.batch_alter_table("usage_daily") as batch:
        batch.create_index(batch.f("ix_usage_daily_user_id"), ["user_id"], unique=False)


def _create_subscription_notice() -> None:
    op.create_table(
        "subscription_notice",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("sent_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_subscription_notice_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", "period", name=op.f("pk_subscription_notice")),
    )


def _create_generation_slot() -> None:
    op.create_table(
        "generation_slot",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("slot_id", sa.String(length=36), nullable=False),
        sa.Column("expires_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_generation_slot_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "slot_id", name=op.f("pk_generation_slot")),
    )


def upgrade() -> None:
    _create_usage_daily()
    _create_subscription_notice()
    _create_generation_slot()


def downgrade() -> None:
    op.drop_table("generation_slot")
    op.drop_table("subscription_notice")
    with op.batch_alter_table("usage_daily") as batch:
        batch.drop_index(batch.f("ix_usage_daily_user_id"))
    op.drop_table("usage_daily")
