"""The planner: the plan lane turns a goal into a Plan (JSON with a schema), checked to be
a runnable graph (logic.plan_problems).

Small models answer with prose, broken JSON or impossible graphs even when the schema is
sent; the second request says what was wrong with the first. A second bad answer fails
the task with plan_invalid and the problems in words.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import ValidationError

from cognitia.agents.tasks import logic, prompts
from cognitia.agents.tasks.calls import ask, json_object
from cognitia.agents.tasks.schemas import Plan, plan_json_schema
from cognitia.llm import service as llm
from cognitia.llm.logic import Target
from cognitia.llm.ports import ChatMessage, ChatRequest, Sampling
from cognitia.llm.registry import ModelRegistry

log = logging.getLogger(__name__)

LANE = "plan"
ATTEMPTS = 2  # one retry
MAX_OUTPUT_TOKENS = 2000


class PlanRejected(Exception):
    """Both answers were unusable; the message lists what was wrong with the last."""


@dataclass(frozen=True)
class Team:
    """What a plan may use: the agents' roles (with who plays them) and the tools."""

    roles: dict[str, str]  # role -> character name
    tools: dict[str, str]  # tool name -> description
    max_steps: int


def _bullets(items: dict[str, str], empty: str) -> str:
    return "\n".join(f"  - {key}: {text}" for key, text in items.items()) or f"  - {empty}"


def build_request(prompt: prompts.Prompt, *, goal: str, team: Team) -> ChatRequest:
    system = prompt.render(
        max_steps=team.max_steps,
        roles=_bullets(team.roles, "primary"),
        tools=_bullets(team.tools, "none: every step's tool is null"),
    )
    return ChatRequest(
        messages=[ChatMessage("system", system), ChatMessage("user", f"Goal: {goal}")],
        sampling=Sampling(temperature=0.0, max_tokens=MAX_OUTPUT_TOKENS),
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "task_plan", "schema": plan_json_schema()},
        },
        background=True,
    )


def check(text: str, team: Team) -> Plan | list[str]:
    """The plan in an answer, or what is wrong with it."""
    data = json_object(text)
    if data is None:
        return ["the answer was not a JSON object"]
    try:
        plan = Plan.model_validate(data)
    except ValidationError as error:
        return [f"{'.'.join(map(str, e['loc'])) or 'plan'}: {e['msg']}" for e in error.errors()][:5]
    problems = logic.plan_problems(
        plan, roles=team.roles.keys(), tools=team.tools.keys(), max_steps=team.max_steps
    )
    return problems or plan


def _again(request: ChatRequest, answer: str, problems: list[str]) -> ChatRequest:
    said = "That plan cannot run: " + "; ".join(problems) + ". Answer with a corrected plan."
    turns = [ChatMessage("assistant", answer[:4000]), ChatMessage("user", said)]
    return ChatRequest(
        messages=[*request.messages, *turns],
        sampling=request.sampling,
        response_format=request.response_format,
        background=True,
    )


async def plan(
    models: ModelRegistry,
    usage: llm.UsageRecorder,
    *,
    request: ChatRequest,
    team: Team,
    context: llm.CallContext,
) -> Plan:
    """Ask up to ATTEMPTS times; PlanRejected after the last bad answer, StepError when no
    model answered."""
    problems: list[str] = []
    for attempt in range(1, ATTEMPTS + 1):
        result = await ask(
            models, usage, request=request, target=Target(lane=LANE), context=context
        )
        found = check(result.text, team)
        if isinstance(found, Plan):
            return found
        problems = found
        log.warning("task plan: attempt %d unusable: %s", attempt, "; ".join(problems))
        request = _again(request, result.text, problems)
    raise PlanRejected("; ".join(problems))
