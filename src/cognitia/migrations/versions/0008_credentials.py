"""credentials: API key scopes and expiry

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 03:21:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cognitia.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        # Keys made before scopes existed could do everything: they keep that.
        batch.add_column(
            sa.Column(
                "scope",
                sa.Enum("full", "chat", name="apikeyscope", native_enum=False, length=16),
                nullable=False,
                server_default="full",
            )
        )
        batch.add_column(
            sa.Column("expires_at", cognitia.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("scope")
