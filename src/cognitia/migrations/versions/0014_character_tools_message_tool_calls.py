"""the tools a character may call; the tool calls and results of a reply

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cognitia.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows get an empty list: no character calls tools until its owner says so.
    with op.batch_alter_table("character") as batch:
        batch.add_column(
            sa.Column("tools", cognitia.db.JSONType, nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("message") as batch:
        batch.add_column(
            sa.Column(
                "tool_calls", cognitia.db.JSONType, nullable=False, server_default=sa.text("'[]'")
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_column("tool_calls")
    with op.batch_alter_table("character") as batch:
        batch.drop_column("tools")
