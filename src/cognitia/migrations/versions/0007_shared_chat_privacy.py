"""shared-chat privacy: a member's opt-in to their private memory, the lorebook shared
with a character's card

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 03:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_participant") as batch:
        batch.add_column(
            sa.Column("share_private", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("character") as batch:
        batch.add_column(
            sa.Column("share_lorebook", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("character") as batch:
        batch.drop_column("share_lorebook")
    with op.batch_alter_table("chat_participant") as batch:
        batch.drop_column("share_private")
