"""audio_usage: seconds of audio synthesised and transcribed per user and day

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:59:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audio_usage",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("synthesized_s", sa.Float(), nullable=False),
        sa.Column("transcribed_s", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_audio_usage_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_audio_usage")),
    )


def downgrade() -> None:
    op.drop_table("audio_usage")
