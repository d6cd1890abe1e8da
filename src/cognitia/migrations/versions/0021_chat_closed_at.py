"""chat.closed_at: an ended coaching session's chat takes no new turns

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 10:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cognitia.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat") as batch:
        batch.add_column(
            sa.Column("closed_at", cognitia.db.UTCDateTime(timezone=True), nullable=True)
        )
    # Sessions ended before this revision close their chats too.
    op.execute(
        "UPDATE chat SET closed_at = (SELECT s.ended_at FROM coaching_session s"
        " WHERE s.chat_id = chat.id AND s.status = 'ended')"
        " WHERE id IN (SELECT chat_id FROM coaching_session WHERE status = 'ended')"
    )


def downgrade() -> None:
    with op.batch_alter_table("chat") as batch:
        batch.drop_column("closed_at")
