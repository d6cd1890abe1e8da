"""Tasks as the API sees them: create (the plan job queued with it), list, read, cancel.

Running them is runner.py's, in jobs. Quotas: `admit` is the one place a task is let in.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.agents.tasks import live, prompts, repository, views
from cognitia.agents.tasks.errors import TaskAgentsInvalid, TaskFinished, TaskNotFound
from cognitia.agents.tasks.schemas import PRIMARY, TaskCreate, TaskDetail, TaskPage, TaskRead
from cognitia.agents.tasks.work import PLAN, TaskJob
from cognitia.characters.access import usable_by
from cognitia.chats import repository as chat_repository
from cognitia.chats.errors import ChatCharacterNotFound
from cognitia.db import Database
from cognitia.events.ports import EventBus
from cognitia.jobs.deferred import defer
from cognitia.kit.clock import utcnow
from cognitia.models.task import FINISHED, STEP_DONE, StepStatus, Task, TaskStatus
from cognitia.models.user import User


async def admit(session: AsyncSession, *, user: User) -> None:
    """Whether `user` may start one more task now; raise to refuse. Plan limits (tasks per
    day) belong here; none are checked yet."""
    return None


def _check_roles(data: TaskCreate) -> None:
    roles = [agent.role for agent in data.agents]
    if PRIMARY in roles or len(set(roles)) != len(roles):
        raise TaskAgentsInvalid()


async def _check_characters(session: AsyncSession, *, user: User, data: TaskCreate) -> None:
    for character_id in [data.character_id, *(a.character_id for a in data.agents)]:
        character = await chat_repository.get_character(session, character_id)
        if character is None or not usable_by(character, user.id):
            raise ChatCharacterNotFound()


async def create(db: Database, *, user: User, data: TaskCreate) -> TaskRead:
    """The task, queued for its planner (404 character_not_found for a character the
    person may not use; 422 task_agents_invalid)."""
    _check_roles(data)
    async with db.unit_of_work() as session:
        await admit(session, user=user)
        await _check_characters(session, user=user, data=data)
        row = Task(
            user_id=user.id,
            character_id=data.character_id,
            goal=data.goal,
            agents=[agent.model_dump() for agent in data.agents],
            status=TaskStatus.QUEUED,
            prompt_versions=dict(prompts.CURRENT),
            created_at=utcnow(),
        )
        session.add(row)
        await session.flush()
        defer(session, PLAN, TaskJob(task_id=row.id))
        return views.task_read(row)


async def _own(session: AsyncSession, *, user: User, task_id: str) -> Task:
    row = await repository.get_for_user(session, task_id=task_id, user_id=user.id)
    if row is None:
        raise TaskNotFound()
    return row


async def page(db: Database, *, user: User, limit: int, offset: int) -> TaskPage:
    async with db.read() as session:
        rows, total = await repository.page(session, user_id=user.id, limit=limit, offset=offset)
    items = [views.task_read(row) for row in rows]
    return TaskPage(items=items, total=total, limit=limit, offset=offset)


async def detail(db: Database, *, user: User, task_id: str) -> TaskDetail:
    async with db.read() as session:
        return await views.detail(session, await _own(session, user=user, task_id=task_id))


async def visible(db: Database, *, user: User, task_id: str) -> None:
    """404 task_not_found unless the task is the user's (before its events are relayed)."""
    async with db.read() as session:
        await _own(session, user=user, task_id=task_id)


async def cancel(db: Database, events: EventBus, *, user: User, task_id: str) -> TaskDetail:
    """Stop the task: steps not started are cancelled; a step running now finishes its model
    call, and its result is kept but nothing starts after it. 409 once it has finished."""
    async with db.unit_of_work() as session:
        row = await repository.lock(session, task_id)
        if row is None or row.user_id != user.id:
            raise TaskNotFound()
        if row.status in FINISHED:
            raise TaskFinished()
        await finish(session, row, TaskStatus.CANCELLED)
        read = await views.detail(session, row)
    await live.task_updated(events, read)
    return read


async def finish(
    session: AsyncSession,
    row: Task,
    status: TaskStatus,
    *,
    error: tuple[str, str] | None = None,
) -> None:
    """End the task (its lock held): the status, the steps that will not run cancelled, the
    usage totals taken from its llm_call rows."""
    row.status = status
    row.finished_at = utcnow()
    if error is not None:
        row.error_code, row.error = error
    for step in await repository.steps(session, row.id):
        if step.status not in STEP_DONE and step.status != StepStatus.RUNNING:
            step.status = StepStatus.CANCELLED
    spent = await repository.spent(session, task_id=row.id)
    row.prompt_tokens = spent.prompt_tokens
    row.completion_tokens = spent.completion_tokens
    row.cost_nanousd = spent.cost_nanousd
