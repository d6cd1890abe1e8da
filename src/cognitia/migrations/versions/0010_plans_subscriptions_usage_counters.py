"""plans, subscriptions and usage counters, with the default plans

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 00:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import cognitia.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = [
    "id",
    "name",
    "price_cents",
    "public",
    "position",
    "max_characters",
    "messages_per_day",
    "audio_minutes_per_day",
    "voice_clones",
    "concurrent_generations",
    "live_calls",
    "api_access",
]
# The original design's tiers (issue 16), and `unlimited`: the embedded default's plan, so
# a fresh install with payments off locks nobody out (docs/plans.md).
_SEEDS = [
    ("free", "Free", 0, True, 10, 3, 50, 10, 0, 1, False, False),
    ("basic", "Basic", 999, True, 20, 10, 500, 60, 1, 2, False, False),
    ("pro", "Pro", 2499, True, 30, None, 5000, 300, 5, 4, True, True),
    ("enterprise", "Enterprise", None, True, 40, None, None, None, None, None, True, True),
    ("unlimited", "Unlimited", 0, False, 50, None, None, None, None, None, True, True),
]


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
    ]


def _create_plan() -> sa.Table:
    return op.create_table(
        "plan",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("max_characters", sa.Integer(), nullable=True),
        sa.Column("messages_per_day", sa.Integer(), nullable=True),
        sa.Column("audio_minutes_per_day", sa.Integer(), nullable=True),
        sa.Column("voice_clones", sa.Integer(), nullable=True),
        sa.Column("concurrent_generations", sa.Integer(), nullable=True),
        sa.Column("monthly_budget_cents", sa.Integer(), nullable=True),
        sa.Column("live_calls", sa.Boolean(), nullable=False),
        sa.Column("api_access", sa.Boolean(), nullable=False),
        sa.Column("models_allowed", cognitia.db.JSONType, nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
    )


def _create_subscription() -> None:
    op.create_table(
        "subscription",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.String(length=32), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "past_due",
                "canceled",
                name="subscriptionstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("current_period_end", cognitia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("extra_characters", sa.Integer(), nullable=False),
        sa.Column("extra_messages_per_day", sa.Integer(), nullable=False),
        sa.Column("extra_audio_minutes_per_day", sa.Integer(), nullable=False),
        sa.Column("extra_budget_cents", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_subscription_plan_id_plan"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_subscription_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_subscription")),
    )
    with op.batch_alter_table("subscription") as batch:
        batch.create_index(batch.f("ix_subscription_plan_id"), ["plan_id"], unique=False)


def _create_usage_counter() -> None:
    op.create_table(
        "usage_counter",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_usage_counter_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "metric", "period", name=op.f("pk_usage_counter")),
    )


def upgrade() -> None:
    plan = _create_plan()
    _create_subscription()
    _create_usage_counter()
    op.bulk_insert(plan, seed_rows())


def seed_rows() -> list[dict[str, object]]:
    """The default plans as rows (tests that empty the tables put them back with these)."""
    now = datetime.now(UTC)
    rows = [dict(zip(_COLUMNS, seed, strict=True)) for seed in _SEEDS]
    return [{**r, "created_at": now, "updated_at": now} for r in rows]


def downgrade() -> None:
    op.drop_table("usage_counter")
    with op.batch_alter_table("subscription") as batch:
        batch.drop_index(batch.f("ix_subscription_plan_id"))
    op.drop_table("subscription")
    op.drop_table("plan")
