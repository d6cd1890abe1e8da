"""Running a task in jobs: plan it, run each step when its dependencies have succeeded
(independent steps at once), sum it up.

Durability is the job layer's (jobs/): a job whose worker died is delivered again (the
embedded runner's lease, taskiq's unacknowledged message). What makes a second delivery
safe is the step row: a step that is done is never run again, and a task's state changes
only under its row's lock. docs/tasks.md tells the whole story.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.agents.tasks import live, logic, planner, prompts, repository, views
from cognitia.agents.tasks.errors import PLAN_INVALID, PLANNER_UNAVAILABLE, StepError
from cognitia.agents.tasks.executor import AgentCard, StepPorts
from cognitia.agents.tasks.schemas import PRIMARY, Plan
from cognitia.agents.tasks.service import finish
from cognitia.agents.tasks.work import STEP, StepJob, TaskJob
from cognitia.chats import repository as chat_repository
from cognitia.config import TaskSettings
from cognitia.events.ports import EventBus
from cognitia.jobs.deferred import defer
from cognitia.kit.clock import utcnow
from cognitia.llm import service as llm
from cognitia.models.task import FINISHED, StepStatus, Task, TaskStatus, TaskStep

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunPorts:
    work: StepPorts
    events: EventBus
    settings: TaskSettings


async def publish(ports: RunPorts, task_id: str) -> None:
    """The task and its steps as they are now, to whoever watches."""
    async with ports.work.db.read() as session:
        row = await session.get(Task, task_id)
        if row is None:
            return
        read = await views.detail(session, row)
    await live.task_updated(ports.events, read)
    for step in read.steps:
        await live.step_updated(ports.events, task_id, step)


# -- planning ---------------------------------------------------------------------------


async def card(session: AsyncSession, character_id: str, role: str) -> AgentCard:
    """Who does a step. An agent whose character was deleted since the task began still
    does its step, by its role, on the chat lane: the task goes on."""
    character = await chat_repository.get_character(session, character_id)
    if character is None:
        return AgentCard(character_id, role, "", None)
    persona = character.system_prompt or character.description
    return AgentCard(character.id, character.name, persona, character.model)


def _roles(row: Task) -> dict[str, str]:
    """role -> character id, the primary first."""
    return {PRIMARY: row.character_id, **{a["role"]: a["character_id"] for a in row.agents}}


async def _team(session: AsyncSession, ports: RunPorts, row: Task) -> planner.Team:
    names = {}
    for role, character_id in _roles(row).items():
        character = await chat_repository.get_character(session, character_id)
        names[role] = character.name if character is not None else role
    box = ports.work.tools
    specs = box.registry.specs(box.registry.names()) if box is not None else []
    tools = {spec["function"]["name"]: spec["function"]["description"] for spec in specs}
    return planner.Team(roles=names, tools=tools, max_steps=ports.settings.max_steps)


async def plan_task(ports: RunPorts, payload: TaskJob) -> None:
    """The plan job: ask for a plan, then start the steps that depend on nothing."""
    db = ports.work.db
    async with db.unit_of_work() as session:
        row = await repository.lock(session, payload.task_id)
        if row is None or row.status not in (TaskStatus.QUEUED, TaskStatus.PLANNING):
            return  # planned already (a second delivery), or cancelled
        row.status = TaskStatus.PLANNING
        row.started_at = row.started_at or utcnow()
        team = await _team(session, ports, row)
        prompt = prompts.of_task(row.prompt_versions, prompts.PLANNER)
        request = planner.build_request(prompt, goal=row.goal, team=team)
        context = llm.CallContext(
            user_id=row.user_id,
            character_id=row.character_id,
            lane=planner.LANE,
            task_id=row.id,
        )
    await publish(ports, payload.task_id)
    try:
        plan = await planner.plan(
            ports.work.models, ports.work.usage, request=request, team=team, context=context
        )
    except planner.PlanRejected as error:
        detail = f"The planner did not give a plan that can run (asked twice): {error}"
        await fail(ports, payload.task_id, PLAN_INVALID, detail)
    except StepError as error:
        await fail(ports, payload.task_id, PLANNER_UNAVAILABLE, f"No model could plan: {error}")
    else:
        await _start(ports, payload.task_id, plan)


async def _start(ports: RunPorts, task_id: str, plan: Plan) -> None:
    async with ports.work.db.unit_of_work() as session:
        row = await repository.lock(session, task_id)
        if row is None or row.status != TaskStatus.PLANNING:
            return  # cancelled while it was planned
        row.plan = plan.model_dump(mode="json")
        row.status = TaskStatus.RUNNING
        roles = _roles(row)
        steps = [
            TaskStep(
                task_id=row.id,
                position=position,
                key=step.key,
                title=step.title,
                instruction=step.instruction,
                role=step.agent,
                character_id=roles[step.agent],
                tool=step.tool,
                depends_on=list(step.depends_on),
                status=StepStatus.PENDING,
                attempts=0,
            )
            for position, step in enumerate(plan.steps)
        ]
        session.add_all(steps)
        await session.flush()
        queue_ready(session, row.id, steps)
    await publish(ports, task_id)


def queue_ready(session: AsyncSession, task_id: str, steps: list[TaskStep]) -> bool:
    """Request the jobs of the steps that may start now; True when every step succeeded."""
    states = [
        logic.StepState(
            key=s.key,
            waiting=s.status == StepStatus.PENDING,
            succeeded=s.status == StepStatus.SUCCEEDED,
            depends_on=tuple(s.depends_on),
        )
        for s in steps
    ]
    ready = set(logic.ready(states))
    for step in steps:
        if step.key in ready:
            step.status = StepStatus.QUEUED
            defer(session, STEP, StepJob(task_id=task_id, key=step.key))
    return all(s.status == StepStatus.SUCCEEDED for s in steps)


async def fail(ports: RunPorts, task_id: str, code: str, detail: str) -> None:
    async with ports.work.db.unit_of_work() as session:
        row = await repository.lock(session, task_id)
        if row is None or row.status in FINISHED:
            return
        await finish(session, row, TaskStatus.FAILED, error=(code, detail[:4000]))
    await publish(ports, task_id)
