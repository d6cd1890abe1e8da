"""tasks (agents/tasks): a goal, its plan's steps, and llm_call rows linked to them

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 10:30:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import cognitia.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TASK_STATUSES = ("queued", "planning", "running", "succeeded", "failed", "cancelled")
STEP_STATUSES = ("pending", "queued", "running", "succeeded", "failed", "cancelled")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _when(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, cognitia.db.UTCDateTime(timezone=True), nullable=nullable)


def _usage() -> list[sa.Column[Any]]:
    return [
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_nanousd", sa.BigInteger(), nullable=False),
    ]


def _create_task() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("character_id", sa.String(length=36), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("agents", _json(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*TASK_STATUSES, name="taskstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("plan", _json(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("prompt_versions", _json(), nullable=False),
        *_usage(),
        _when("created_at", nullable=False),
        _when("started_at"),
        _when("finished_at"),
        _when("updated_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_task_user_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["character_id"],
            ["character.id"],
            name=op.f("fk_task_character_id_character"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
    )
    with op.batch_alter_table("task") as batch:
        batch.create_index("ix_task_user_created", ["user_id", "created_at"], unique=False)


def _create_step() -> None:
    op.create_table(
        "task_step",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("character_id", sa.String(length=36), nullable=False),
        sa.Column("tool", sa.String(length=64), nullable=True),
        sa.Column("depends_on", _json(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STEP_STATUSES, name="stepstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("critic_verdict", sa.String(length=16), nullable=True),
        sa.Column("critic_feedback", sa.Text(), nullable=True),
        *_usage(),
        _when("started_at"),
        _when("finished_at"),
        _when("updated_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_task_step_task_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_step")),
        sa.UniqueConstraint("task_id", "key", name=op.f("uq_task_step_task_id")),
    )
    with op.batch_alter_table("task_step") as batch:
        batch.create_index(op.f("ix_task_step_task_id"), ["task_id"], unique=False)


def upgrade() -> None:
    _create_task()
    _create_step()
    with op.batch_alter_table("llm_call") as batch:
        batch.add_column(sa.Column("task_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("task_step_id", sa.String(length=36), nullable=True))
        batch.create_index(op.f("ix_llm_call_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("llm_call") as batch:
        batch.drop_index(op.f("ix_llm_call_task_id"))
        batch.drop_column("task_step_id")
        batch.drop_column("task_id")
    with op.batch_alter_table("task_step") as batch:
        batch.drop_index(op.f("ix_task_step_task_id"))
    op.drop_table("task_step")
    with op.batch_alter_table("task") as batch:
        batch.drop_index("ix_task_user_created")
    op.drop_table("task")
