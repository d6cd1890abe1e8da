"""Whether a plan can run (a DAG of known steps, agents and tools), and which steps may start."""

from __future__ import annotations

from cognitia.agents.tasks.logic import StepState, plan_problems, ready
from cognitia.agents.tasks.schemas import Plan


def _plan(*steps: tuple[str, list[str]], agent: str = "primary", tool: str | None = None) -> Plan:
    return Plan.model_validate(
        {
            "steps": [
                {
                    "key": k,
                    "title": k,
                    "instruction": k,
                    "agent": agent,
                    "tool": tool,
                    "depends_on": d,
                }
                for k, d in steps
            ]
        }
    )


def _problems(plan: Plan, max_steps: int = 5) -> list[str]:
    return plan_problems(plan, roles={"primary"}, tools={"calculator"}, max_steps=max_steps)


def test_a_dag_of_known_steps_runs() -> None:
    assert _problems(_plan(("a", []), ("b", []), ("c", ["a", "b"]))) == []
    assert _problems(_plan(("a", []), tool="calculator")) == []


def test_what_makes_a_plan_unrunnable_is_named() -> None:
    assert _problems(_plan(("a", ["b"]), ("b", ["c"]), ("c", ["a"]), ("d", []))) == [
        "the steps depend on each other in a cycle: a, b, c"
    ]
    assert _problems(_plan(("a", ["a"]))) == ["the steps depend on each other in a cycle: a"]
    assert _problems(_plan(("a", ["zz"]))) == ["step 'a' depends on unknown steps: zz"]
    assert _problems(_plan(("a", []), ("a", []))) == ["step keys used twice: a"]
    assert _problems(_plan(("a", []), agent="ghost")) == ["step 'a' names unknown agent 'ghost'"]
    assert _problems(_plan(("a", []), tool="rm")) == ["step 'a' names unknown tool 'rm'"]
    assert _problems(_plan(("a", []), ("b", [])), max_steps=1) == [
        "the plan has 2 steps; at most 1 are allowed"
    ]


def test_a_step_is_ready_once_all_it_depends_on_succeeded() -> None:
    def state(key: str, status: str, *deps: str) -> StepState:
        return StepState(key, status == "waiting", status == "succeeded", deps)

    steps = [
        state("a", "succeeded"),
        state("b", "running"),
        state("c", "waiting", "a"),
        state("d", "waiting", "a", "b"),
        state("e", "waiting"),
    ]
    assert ready(steps) == ["c", "e"]
