"""The task jobs' handlers (names and payloads: work.py): each builds the few ports a task
run uses from the process's job context."""

from __future__ import annotations

from cognitia.agents.tasks import runner, steps
from cognitia.agents.tasks.executor import StepPorts
from cognitia.agents.tasks.work import PLAN, STEP, STEP_ATTEMPTS, SUMMARIZE, StepJob, TaskJob
from cognitia.agents.tools.registry import ToolBox, ToolRegistry, default_registry, offer_python
from cognitia.config import ToolSettings
from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import job


async def _tools(settings: ToolSettings) -> ToolRegistry:
    """The tools a step may call, as the API's start builds them: the built-ins, and
    run_python where the sandbox works here (probed once per process). Built per job: the
    job context carries no registry (jobs.ports naming agents.tools would close an import
    circle through the memory tools), and building one is a few small objects."""
    registry = default_registry(settings)
    await offer_python(registry, settings)
    return registry


async def _ports(ctx: JobContext) -> runner.RunPorts:
    # No search index: a step's agent works on the task, not on a chat's memory; the
    # search tools say so when called.
    box = ToolBox(await _tools(ctx.settings.tools), ctx.settings.tools, None)
    work = StepPorts(db=ctx.db, models=ctx.models, usage=ctx.usage, tools=box)
    return runner.RunPorts(work=work, events=ctx.events, settings=ctx.settings.tasks)


@job(PLAN, TaskJob)
async def plan_task(ctx: JobContext, payload: TaskJob) -> None:
    await runner.plan_task(await _ports(ctx), payload)


@job(STEP, StepJob, max_tries=STEP_ATTEMPTS, backoff_seconds=1.0)
async def run_step(ctx: JobContext, payload: StepJob) -> None:
    await steps.run_step(await _ports(ctx), payload)


@job(SUMMARIZE, TaskJob)
async def summarize(ctx: JobContext, payload: TaskJob) -> None:
    await steps.summarize(await _ports(ctx), payload)
