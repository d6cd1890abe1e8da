"""Running one step (executor, then critic), and the summary once every step succeeded.

A step job first claims its step under the task's lock: a step that is done is left
alone (a second delivery of a finished step's job does nothing), a step found running was
taken by a worker that died and is run again. Each claim counts an attempt; the last
failed attempt fails the step and its task.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.agents.tasks import prompts, repository, summary
from cognitia.agents.tasks.calls import ask
from cognitia.agents.tasks.errors import STEP_FAILED, SUMMARY_UNAVAILABLE, StepError
from cognitia.agents.tasks.executor import StepWork, criticise, execute
from cognitia.agents.tasks.runner import RunPorts, card, fail, publish, queue_ready
from cognitia.agents.tasks.service import finish
from cognitia.agents.tasks.work import STEP_ATTEMPTS, SUMMARIZE, StepJob, TaskJob
from cognitia.jobs.deferred import defer
from cognitia.kit.clock import utcnow
from cognitia.llm import service as llm
from cognitia.llm.logic import Target
from cognitia.models.task import FINISHED, STEP_DONE, StepStatus, Task, TaskStatus, TaskStep

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    result: str
    verdict: str | None  # accept, revise (sent back once), None: not checked
    feedback: str | None


async def run_step(ports: RunPorts, payload: StepJob) -> None:
    """The step job: claim the step, do it, record it, start what may follow."""
    claimed = await _claim(ports, payload)
    if claimed is None:
        return
    work, attempt = claimed
    await publish(ports, payload.task_id)
    try:
        outcome = await _work(ports, work)
    except Exception as error:
        reason = str(error) if isinstance(error, StepError) else type(error).__name__
        log.warning("task step %s failed (attempt %d): %s", payload.key, attempt, reason)
        if attempt >= STEP_ATTEMPTS:
            await _step_failed(ports, payload, reason, attempt)
            return
        await _note_error(ports, payload, reason)
        raise  # the job layer tries again
    await _step_done(ports, payload, outcome)


async def _claim(ports: RunPorts, payload: StepJob) -> tuple[StepWork, int] | None:
    async with ports.work.db.unit_of_work() as session:
        row = await repository.lock(session, payload.task_id)
        step = await repository.step(session, task_id=payload.task_id, key=payload.key)
        if row is None or step is None or step.status in STEP_DONE:
            return None  # done already: never run twice
        if row.status != TaskStatus.RUNNING:
            step.status = StepStatus.CANCELLED  # its task ended while its job waited
            return None
        step.status = StepStatus.RUNNING
        step.attempts += 1
        step.started_at = utcnow()
        work = await _work_of(session, row, step)
        return work, step.attempts


async def _work_of(session: AsyncSession, row: Task, step: TaskStep) -> StepWork:
    steps = {s.key: s for s in await repository.steps(session, row.id)}
    inputs = tuple((steps[k].title, steps[k].result or "") for k in step.depends_on)
    return StepWork(
        user_id=row.user_id,
        task_id=row.id,
        step_id=step.id,
        goal=row.goal,
        title=step.title,
        instruction=step.instruction,
        role=step.role,
        agent=await card(session, step.character_id, step.role),
        tool=step.tool,
        inputs=inputs,
        versions=dict(row.prompt_versions),
    )


async def _work(ports: RunPorts, work: StepWork) -> Outcome:
    result = await execute(ports.work, work)
    if not ports.settings.critic:
        return Outcome(result, None, None)
    verdict = await criticise(ports.work, work, result)
    if verdict.accept:
        return Outcome(result, "accept", verdict.feedback or None)
    # Sent back once: the second result stands, unchecked, so a picky critic cannot loop.
    again = await execute(ports.work, work, feedback=verdict.feedback)
    return Outcome(again, "revise", verdict.feedback or None)


async def _step_done(ports: RunPorts, payload: StepJob, outcome: Outcome) -> None:
    await ports.work.usage.drain()  # the step's llm_call rows, for its totals
    async with ports.work.db.unit_of_work() as session:
        row = await repository.lock(session, payload.task_id)
        step = await repository.step(session, task_id=payload.task_id, key=payload.key)
        if row is None or step is None or step.status in STEP_DONE:
            return
        running = row.status == TaskStatus.RUNNING
        step.status = StepStatus.SUCCEEDED if running else StepStatus.CANCELLED
        step.result = outcome.result
        step.error = None
        step.critic_verdict, step.critic_feedback = outcome.verdict, outcome.feedback
        step.finished_at = utcnow()
        await _snapshot(session, step)
        if running and queue_ready(session, row.id, await repository.steps(session, row.id)):
            defer(session, SUMMARIZE, TaskJob(task_id=row.id))
    await publish(ports, payload.task_id)


async def _snapshot(session: AsyncSession, step: TaskStep) -> None:
    spent = await repository.spent(session, task_id=step.task_id, step_id=step.id)
    step.prompt_tokens = spent.prompt_tokens
    step.completion_tokens = spent.completion_tokens
    step.cost_nanousd = spent.cost_nanousd


async def _note_error(ports: RunPorts, payload: StepJob, reason: str) -> None:
    async with ports.work.db.unit_of_work() as session:
        await repository.lock(session, payload.task_id)  # the task first, as everywhere
        step = await repository.step(session, task_id=payload.task_id, key=payload.key)
        if step is not None and step.status == StepStatus.RUNNING:
            step.error = reason[:4000]
    await publish(ports, payload.task_id)


async def _step_failed(ports: RunPorts, payload: StepJob, reason: str, attempts: int) -> None:
    await ports.work.usage.drain()
    async with ports.work.db.unit_of_work() as session:
        row = await repository.lock(session, payload.task_id)
        step = await repository.step(session, task_id=payload.task_id, key=payload.key)
        if row is None or step is None or step.status in STEP_DONE:
            return
        step.status = StepStatus.FAILED
        step.error = reason[:4000]
        step.finished_at = utcnow()
        await _snapshot(session, step)
        if row.status not in FINISHED:
            detail = f"Step {step.title!r} failed after {attempts} attempts: {reason}"
            await finish(session, row, TaskStatus.FAILED, error=(STEP_FAILED, detail[:4000]))
    await publish(ports, payload.task_id)


# -- the summary ------------------------------------------------------------------------


async def summarize(ports: RunPorts, payload: TaskJob) -> None:
    """The summary job: the task's result from its steps' results."""
    async with ports.work.db.read() as session:
        row = await session.get(Task, payload.task_id)
        if row is None or row.status != TaskStatus.RUNNING:
            return  # finished already (a second delivery), or cancelled
        steps = await repository.steps(session, row.id)
        prompt = prompts.of_task(row.prompt_versions, prompts.SUMMARIZER)
        request = summary.build_request(
            prompt, goal=row.goal, results=[(s.title, s.result or "") for s in steps]
        )
        context = llm.CallContext(
            user_id=row.user_id,
            character_id=row.character_id,
            lane=summary.LANE,
            task_id=row.id,
        )
    try:
        answer = await ask(
            ports.work.models,
            ports.work.usage,
            request=request,
            target=Target(lane=summary.LANE),
            context=context,
        )
    except StepError as error:
        await fail(ports, payload.task_id, SUMMARY_UNAVAILABLE, f"No model could sum up: {error}")
        return
    await ports.work.usage.drain()
    async with ports.work.db.unit_of_work() as session:
        locked = await repository.lock(session, payload.task_id)
        if locked is None or locked.status != TaskStatus.RUNNING:
            return
        locked.result = answer.text
        await finish(session, locked, TaskStatus.SUCCEEDED)
    await publish(ports, payload.task_id)
