"""Stripe payments: a plan's Stripe price, a subscription's Stripe ids, grace period and
last applied event, and the `stripe_event` table that makes webhooks idempotent

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cognitia.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan") as batch:
        batch.add_column(sa.Column("stripe_price_id", sa.String(length=255), nullable=True))
        batch.create_index(batch.f("ix_plan_stripe_price_id"), ["stripe_price_id"], unique=True)
    with op.batch_alter_table("subscription") as batch:
        batch.add_column(sa.Column("stripe_customer_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("stripe_subscription_id", sa.String(length=255), nullable=True))
        batch.add_column(
            sa.Column("grace_until", cognitia.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("stripe_event_at", cognitia.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index(
            batch.f("ix_subscription_stripe_customer_id"), ["stripe_customer_id"], unique=True
        )
        batch.create_index(
            batch.f("ix_subscription_stripe_subscription_id"),
            ["stripe_subscription_id"],
            unique=True,
        )
    op.create_table(
        "stripe_event",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("received_at", cognitia.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_event")),
    )


def downgrade() -> None:
    op.drop_table("stripe_event")
    with op.batch_alter_table("subscription", recreate="never") as batch:
        batch.drop_index(batch.f("ix_subscription_stripe_subscription_id"))
        batch.drop_index(batch.f("ix_subscription_stripe_customer_id"))
        batch.drop_column("stripe_event_at")
        batch.drop_column("grace_until")
        batch.drop_column("stripe_subscription_id")
        batch.drop_column("stripe_customer_id")
    with op.batch_alter_table("plan", recreate="never") as batch:
        batch.drop_index(batch.f("ix_plan_stripe_price_id"))
        batch.drop_column("stripe_price_id")
