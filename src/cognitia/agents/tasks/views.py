"""Rows to response bodies: one place, used by the API and by the live events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.agents.tasks import repository
from cognitia.agents.tasks.logic import usd
from cognitia.agents.tasks.repository import Spent
from cognitia.agents.tasks.schemas import (
    PRIMARY,
    Agent,
    AgentUsage,
    StepRead,
    TaskDetail,
    TaskRead,
    Usage,
)
from cognitia.models.task import Task, TaskStep


def usage(spent: Spent) -> Usage:
    return Usage(
        prompt_tokens=spent.prompt_tokens,
        completion_tokens=spent.completion_tokens,
        cost_usd=usd(spent.cost_nanousd),
    )


def _stored(row: Task | TaskStep) -> Spent:
    return Spent(row.prompt_tokens, row.completion_tokens, row.cost_nanousd)


def task_read(row: Task, spent: Spent | None = None) -> TaskRead:
    """The task; its usage from `spent`, else the totals stored when it finished."""
    agents = [Agent(character_id=row.character_id, role=PRIMARY)]
    agents += [Agent.model_validate(agent) for agent in row.agents]
    return TaskRead(
        id=row.id,
        goal=row.goal,
        character_id=row.character_id,
        agents=agents,
        status=row.status,
        result=row.result,
        error_code=row.error_code,
        error=row.error,
        prompt_versions=dict(row.prompt_versions),
        usage=usage(spent or _stored(row)),
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def step_read(row: TaskStep, spent: Spent | None = None) -> StepRead:
    return StepRead(
        key=row.key,
        title=row.title,
        instruction=row.instruction,
        role=row.role,
        character_id=row.character_id,
        tool=row.tool,
        depends_on=list(row.depends_on),
        status=row.status,
        attempts=row.attempts,
        result=row.result,
        error=row.error,
        critic_verdict=row.critic_verdict,
        critic_feedback=row.critic_feedback,
        usage=usage(spent or _stored(row)),
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


async def detail(session: AsyncSession, row: Task) -> TaskDetail:
    """The task with its steps, and usage summed from its llm_call rows now."""
    by_step = await repository.spent_by_step(session, row.id)
    by_agent = await repository.spent_by_agent(session, row.id)
    total = await repository.spent(session, task_id=row.id)
    steps = [
        step_read(step, by_step.get(step.id, Spent()))
        for step in await repository.steps(session, row.id)
    ]
    agents = [
        AgentUsage(character_id=character_id, **usage(spent).model_dump())
        for character_id, spent in by_agent.items()
    ]
    read = task_read(row, total)
    return TaskDetail(**read.model_dump(), steps=steps, usage_by_agent=agents)
