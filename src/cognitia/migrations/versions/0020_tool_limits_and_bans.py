"""tool, sandbox and task limits on plans (seeded); violation points and bans without Redis

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cognitia.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIMIT_COLUMNS = ("tool_calls_per_day", "python_runs_per_day", "tasks_per_day")
# Per plan: tool calls, sandboxed Python runs and tasks a day (None: unlimited), as
# docs/plans.md lists them. A plan an operator made keeps None (unlimited) until edited.
SEEDS: dict[str, tuple[int | None, int | None, int | None]] = {
    "free": (20, 5, 5),
    "basic": (200, 50, 50),
    "pro": (2000, 500, 500),
    "enterprise": (None, None, None),
    "unlimited": (None, None, None),
}


def seeded_limits() -> dict[str, dict[str, int | None]]:
    """The seeded plans' new limits by plan id (tests that empty the tables put them back)."""
    return {plan: dict(zip(LIMIT_COLUMNS, seed, strict=True)) for plan, seed in SEEDS.items()}


def _seed() -> None:
    plan = sa.table("plan", sa.column("id", sa.String), *(sa.column(c) for c in LIMIT_COLUMNS))
    for plan_id, values in seeded_limits().items():
        op.execute(plan.update().where(plan.c.id == plan_id).values(**values))


def _create_bans() -> None:
    op.create_table(
        "violation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation")),
    )
    with op.batch_alter_table("violation") as batch:
        batch.create_index(batch.f("ix_violation_subject"), ["subject"], unique=False)
    op.create_table(
        "ban",
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("until", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_ban")),
    )


def upgrade() -> None:
    # recreate="never": SQLite adds and drops these columns in place; recreating `plan`
    # would drop a table subscriptions' foreign keys point at.
    with op.batch_alter_table("plan", recreate="never") as batch:
        for column in LIMIT_COLUMNS:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
    _seed()
    _create_bans()


def downgrade() -> None:
    op.drop_table("ban")
    with op.batch_alter_table("violation") as batch:
        batch.drop_index(batch.f("ix_violation_subject"))
    op.drop_table("violation")
    with op.batch_alter_table("plan", recreate="never") as batch:
        for column in reversed(LIMIT_COLUMNS):
            batch.drop_column(column)
