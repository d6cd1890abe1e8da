"""the lane the intent router picked for a `lane/auto` call, and why

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 10:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows keep NULL: they were not routed.
    with op.batch_alter_table("llm_call") as batch:
        batch.add_column(sa.Column("routed_lane", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("route_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("llm_call") as batch:
        batch.drop_column("route_reason")
        batch.drop_column("routed_lane")
