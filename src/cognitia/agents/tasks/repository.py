"""Queries of tasks, their steps, and the llm_call rows that are their costs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.models.llm_call import LlmCall
from cognitia.models.task import Task, TaskStep


@dataclass(frozen=True)
class Spent:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_nanousd: int = 0


async def get_for_user(session: AsyncSession, *, task_id: str, user_id: str) -> Task | None:
    row = await session.get(Task, task_id)
    return row if row is not None and row.user_id == user_id else None


async def lock(session: AsyncSession, task_id: str) -> Task | None:
    """The task locked for an update (PostgreSQL; SQLite serializes writers anyway): whoever
    changes a task or its steps' states holds it, so two steps finishing together do not
    both start the step after them."""
    stmt = select(Task).where(Task.id == task_id).with_for_update()
    return (await session.scalars(stmt)).first()


async def page(
    session: AsyncSession, *, user_id: str, limit: int, offset: int
) -> tuple[list[Task], int]:
    mine = Task.user_id == user_id
    total = await session.scalar(select(func.count()).select_from(Task).where(mine))
    stmt = (
        select(Task)
        .where(mine)
        .order_by(Task.created_at.desc(), Task.id)
        .limit(limit)
        .offset(offset)
    )
    return list((await session.scalars(stmt)).all()), int(total or 0)


async def steps(session: AsyncSession, task_id: str) -> list[TaskStep]:
    stmt = select(TaskStep).where(TaskStep.task_id == task_id).order_by(TaskStep.position)
    return list((await session.scalars(stmt)).all())


async def step(session: AsyncSession, *, task_id: str, key: str) -> TaskStep | None:
    stmt = select(TaskStep).where(TaskStep.task_id == task_id, TaskStep.key == key)
    return (await session.scalars(stmt)).first()


def _sums() -> tuple[Any, Any, Any]:
    return (
        func.coalesce(func.sum(LlmCall.prompt_tokens), 0),
        func.coalesce(func.sum(LlmCall.completion_tokens), 0),
        func.coalesce(func.sum(LlmCall.cost_nanousd), 0),
    )


def _spent(row: Any) -> Spent:
    return Spent(int(row[1]), int(row[2]), int(row[3]))


async def spent(session: AsyncSession, *, task_id: str, step_id: str | None = None) -> Spent:
    """What the task's model calls cost (or one step's)."""
    stmt = select(LlmCall.task_id, *_sums()).where(LlmCall.task_id == task_id)
    if step_id is not None:
        stmt = stmt.where(LlmCall.task_step_id == step_id)
    row = (await session.execute(stmt.group_by(LlmCall.task_id))).first()
    return _spent(row) if row is not None else Spent()


async def _grouped(session: AsyncSession, task_id: str, column: Any) -> dict[str | None, Spent]:
    stmt = select(column, *_sums()).where(LlmCall.task_id == task_id).group_by(column)
    return {row[0]: _spent(row) for row in (await session.execute(stmt)).all()}


async def spent_by_step(session: AsyncSession, task_id: str) -> dict[str | None, Spent]:
    return await _grouped(session, task_id, LlmCall.task_step_id)


async def spent_by_agent(session: AsyncSession, task_id: str) -> dict[str | None, Spent]:
    """By the character that made the calls (planner and summary: the primary)."""
    return await _grouped(session, task_id, LlmCall.character_id)
