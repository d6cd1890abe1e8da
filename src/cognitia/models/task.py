from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cognitia.db import Base, JSONType, UTCDateTime, str_enum
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id


class TaskStatus(enum.StrEnum):
    QUEUED = "queued"
    PLANNING = "planning"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset({TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED})


class StepStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its dependencies
    QUEUED = "queued"  # its job was requested
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


STEP_DONE = frozenset({StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.CANCELLED})


class Task(Base):
    """A goal worked on by characters (agents/tasks): planned into steps, run as jobs,
    summed up in `result`.

    `agents` holds the extra characters with their roles ([{"character_id", "role"}]); the
    primary character has the role "primary". `plan` is the validated plan JSON
    (agents/tasks/schemas.py Plan). Token and cost totals are a snapshot of the task's
    llm_call rows taken when it finishes (llm_call.task_id is the truth).
    """

    __tablename__ = "task"
    __table_args__ = (Index("ix_task_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    character_id: Mapped[str] = mapped_column(ForeignKey("character.id", ondelete="CASCADE"))
    goal: Mapped[str] = mapped_column(Text)
    agents: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus), default=TaskStatus.QUEUED)
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    result: Mapped[str | None] = mapped_column(Text, default=None)
    # Why a task failed: a stable code (plan_invalid...) and words for the person.
    error_code: Mapped[str | None] = mapped_column(String(32), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    prompt_versions: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_nanousd: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TaskStep(Base):
    """One step of a task's plan. A step whose status is done is never run again: a job
    delivered twice (its worker died after the step finished) finds it done and stops."""

    __tablename__ = "task_step"
    __table_args__ = (UniqueConstraint("task_id", "key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # its place in the plan
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    instruction: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(32))
    # The agent: a plain id, so the step's record outlives a deleted character.
    character_id: Mapped[str] = mapped_column(String(36))
    tool: Mapped[str | None] = mapped_column(String(64), default=None)
    depends_on: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[StepStatus] = mapped_column(str_enum(StepStatus), default=StepStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # The critic's last word: accept or revise (the step was sent back once), None unchecked.
    critic_verdict: Mapped[str | None] = mapped_column(String(16), default=None)
    critic_feedback: Mapped[str | None] = mapped_column(Text, default=None)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_nanousd: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
