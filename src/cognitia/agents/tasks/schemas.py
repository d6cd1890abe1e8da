"""Request and response bodies for /api/v2/tasks, and the plan's schema.

Plan is both what the plan lane is asked for (its JSON schema goes out as
`response_format`) and what validates the answer; what a schema cannot say (the steps
form a DAG, agents and tools exist) is checked by logic.plan_problems.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cognitia.auth.schemas import ResourceId, Strict
from cognitia.models.task import StepStatus, TaskStatus

MAX_GOAL_CHARS = 4_000
MAX_AGENTS = 5
PRIMARY = "primary"  # the role of the task's own character
# The largest plan the schema admits; settings.tasks.max_steps is the working limit.
PLAN_STEPS_CEILING = 50


def _printable(value: str) -> str:
    # PostgreSQL text and JSONB cannot hold NUL; line breaks and tabs are welcome.
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise ValueError("Control characters other than line breaks and tabs are not allowed.")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("Must not be blank.")
    return value


Goal = Annotated[
    str,
    Field(min_length=1, max_length=MAX_GOAL_CHARS),
    AfterValidator(_printable),
    AfterValidator(_not_blank),
]
Role = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
StepKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Title = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_printable)]
Instruction = Annotated[str, Field(min_length=1, max_length=4_000), AfterValidator(_printable)]


class PlanStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: StepKey
    title: Title
    instruction: Instruction
    agent: Role = PRIMARY  # the role of the character that does the step
    tool: Annotated[str, Field(max_length=64)] | None = None
    depends_on: Annotated[list[StepKey], Field(max_length=PLAN_STEPS_CEILING)] = []


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: Annotated[list[PlanStep], Field(min_length=1, max_length=PLAN_STEPS_CEILING)]


def plan_json_schema() -> dict[str, Any]:
    return Plan.model_json_schema()


class AgentIn(Strict):
    character_id: ResourceId
    role: Role


class TaskCreate(Strict):
    goal: Goal
    character_id: ResourceId  # the primary agent: plans' steps default to it
    agents: Annotated[list[AgentIn], Field(max_length=MAX_AGENTS, default_factory=list)]


class Agent(BaseModel):
    character_id: str
    role: str


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class AgentUsage(Usage):
    character_id: str | None  # None: calls no character made


class StepRead(BaseModel):
    key: str
    title: str
    instruction: str
    role: str
    character_id: str
    tool: str | None
    depends_on: list[str]
    status: StepStatus
    attempts: int
    result: str | None
    error: str | None
    critic_verdict: str | None
    critic_feedback: str | None
    usage: Usage
    started_at: datetime | None
    finished_at: datetime | None


class TaskRead(BaseModel):
    id: str
    goal: str
    character_id: str
    agents: list[Agent]  # the primary character first
    status: TaskStatus
    result: str | None
    error_code: str | None
    error: str | None
    prompt_versions: dict[str, str]  # role -> prompt file version (planner: planner.v1)
    usage: Usage
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class TaskDetail(TaskRead):
    steps: list[StepRead]  # in plan order
    usage_by_agent: list[AgentUsage]


class TaskPage(BaseModel):
    items: list[TaskRead]  # newest first
    total: int
    limit: int
    offset: int
