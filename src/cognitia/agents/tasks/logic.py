"""Pure rules of tasks: whether a plan is a runnable graph, which steps may start."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from cognitia.agents.tasks.schemas import Plan

NANO = 1_000_000_000


def plan_problems(
    plan: Plan, *, roles: Collection[str], tools: Collection[str], max_steps: int
) -> list[str]:
    """What makes the plan unrunnable, in words the planner can act on; [] when it runs."""
    problems: list[str] = []
    if len(plan.steps) > max_steps:
        problems.append(f"the plan has {len(plan.steps)} steps; at most {max_steps} are allowed")
    keys = [step.key for step in plan.steps]
    doubled = sorted({key for key in keys if keys.count(key) > 1})
    if doubled:
        problems.append(f"step keys used twice: {', '.join(doubled)}")
    for step in plan.steps:
        unknown = [dep for dep in step.depends_on if dep not in keys]
        if unknown:
            problems.append(f"step {step.key!r} depends on unknown steps: {', '.join(unknown)}")
        if step.agent not in roles:
            problems.append(f"step {step.key!r} names unknown agent {step.agent!r}")
        if step.tool is not None and step.tool not in tools:
            problems.append(f"step {step.key!r} names unknown tool {step.tool!r}")
    if not problems:
        cycle = _cycle({step.key: step.depends_on for step in plan.steps})
        if cycle:
            problems.append(f"the steps depend on each other in a cycle: {', '.join(cycle)}")
    return problems


def _cycle(graph: Mapping[str, list[str]]) -> list[str]:
    """The steps left when every step whose dependencies can finish is taken away (Kahn):
    [] for a DAG, else the steps in or behind a cycle."""
    waiting = {key: set(deps) for key, deps in graph.items()}
    done: set[str] = set()
    progress = True
    while progress:
        progress = False
        for key, deps in list(waiting.items()):
            if deps <= done:
                done.add(key)
                del waiting[key]
                progress = True
    return sorted(waiting)


@dataclass(frozen=True)
class StepState:
    key: str
    waiting: bool  # not started, its job not requested
    succeeded: bool
    depends_on: tuple[str, ...]


def ready(steps: Iterable[StepState]) -> list[str]:
    """The waiting steps whose dependencies have all succeeded."""
    steps = list(steps)
    succeeded = {step.key for step in steps if step.succeeded}
    return [step.key for step in steps if step.waiting and set(step.depends_on) <= succeeded]


def usd(nanousd: int) -> float:
    return nanousd / NANO
