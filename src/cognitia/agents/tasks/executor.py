"""A step's work: the executor (the agent character's model, with the step's tool when the
model takes tools) and the critic (the plan lane), which may send the result back once.

Tool rounds are the chats' (chats/tool_rounds.py): the same offer rule, the same follow-up
request, the same ToolBox running each call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cognitia.agents.tasks import prompts
from cognitia.agents.tasks.calls import ask, json_object
from cognitia.agents.tools.base import ToolContext, ToolResult
from cognitia.agents.tools.registry import ToolBox
from cognitia.chats import tool_rounds
from cognitia.db import Database
from cognitia.llm import service as llm
from cognitia.llm.logic import Target, parse_target
from cognitia.llm.ports import ChatMessage, ChatRequest, Sampling, ToolCall
from cognitia.llm.registry import ModelRegistry

log = logging.getLogger(__name__)

EXECUTOR_LANE = "chat"  # an agent whose character names no model
CRITIC_LANE = "plan"
MAX_OUTPUT_TOKENS = 1500
MAX_INPUT_RESULT_CHARS = 6000  # of each earlier result the step is shown


@dataclass(frozen=True)
class StepPorts:
    db: Database
    models: ModelRegistry
    usage: llm.UsageRecorder
    tools: ToolBox | None


@dataclass(frozen=True)
class AgentCard:
    character_id: str
    name: str
    persona: str  # the character's system prompt or description
    model: str | None  # the character's model or lane; None: the chat lane


@dataclass(frozen=True)
class StepWork:
    """Everything a step's executor and critic read."""

    user_id: str
    task_id: str
    step_id: str
    goal: str
    title: str
    instruction: str
    role: str
    agent: AgentCard
    tool: str | None
    inputs: tuple[tuple[str, str], ...]  # (title, result) of the steps it depends on
    versions: dict[str, str]

    def context(self, lane: str | None) -> llm.CallContext:
        return llm.CallContext(
            user_id=self.user_id,
            character_id=self.agent.character_id,
            lane=lane,
            task_id=self.task_id,
            task_step_id=self.step_id,
        )


@dataclass(frozen=True)
class Verdict:
    accept: bool
    feedback: str


def _target(agent: AgentCard) -> Target:
    return parse_target(agent.model) if agent.model else Target(lane=EXECUTOR_LANE)


def _brief(work: StepWork, feedback: str | None) -> str:
    parts = [f"Your step: {work.title}", work.instruction]
    for title, result in work.inputs:
        parts.append(f"Result of the earlier step {title!r}:\n{result[:MAX_INPUT_RESULT_CHARS]}")
    if feedback:
        parts.append(f"A reviewer sent your earlier result back: {feedback}\nDo the step again.")
    return "\n\n".join(parts)


def executor_request(work: StepWork, feedback: str | None) -> ChatRequest:
    system = prompts.of_task(work.versions, prompts.EXECUTOR).render(
        name=work.agent.name, role=work.role, persona=work.agent.persona, goal=work.goal
    )
    return ChatRequest(
        messages=[ChatMessage("system", system), ChatMessage("user", _brief(work, feedback))],
        sampling=Sampling(max_tokens=MAX_OUTPUT_TOKENS),
        background=True,
    )


async def execute(ports: StepPorts, work: StepWork, *, feedback: str | None = None) -> str:
    """The step's result; StepError when no model answered."""
    target = _target(work.agent)
    request = executor_request(work, feedback)
    names = [work.tool] if work.tool else []
    offered = tool_rounds.offered(ports.tools, names, ports.models, target)
    if offered is None or ports.tools is None:
        return (await _ask(ports, work, request, target)).text
    request = ChatRequest(
        messages=request.messages, sampling=request.sampling, tools=offered, background=True
    )
    rounds = ports.tools.limits.max_rounds
    for round_number in range(1, rounds + 2):
        result = await _ask(ports, work, request, target)
        if not result.tool_calls or request.tools is None:
            return result.text
        calls = list(result.tool_calls)
        results = [await _run_tool(ports.tools, ports.db, work, call) for call in calls]
        last = round_number >= rounds
        request = tool_rounds.follow_up(request, result.text, calls, results, last=last)
    return result.text


async def _ask(
    ports: StepPorts, work: StepWork, request: ChatRequest, target: Target
) -> llm.Completion:
    context = work.context(target.lane)
    return await ask(ports.models, ports.usage, request=request, target=target, context=context)


async def _run_tool(box: ToolBox, db: Database, work: StepWork, call: ToolCall) -> ToolResult:
    context = ToolContext(
        db=db, user_id=work.user_id, character_id=work.agent.character_id, index=box.index
    )
    return await box.run(call, context)


def critic_request(work: StepWork, result: str) -> ChatRequest:
    system = prompts.of_task(work.versions, prompts.CRITIC).render()
    said = (
        f"Goal of the task: {work.goal}\n\nStep: {work.title}\nInstruction: {work.instruction}"
        f"\n\nResult:\n{result[:MAX_INPUT_RESULT_CHARS]}"
    )
    return ChatRequest(
        messages=[ChatMessage("system", system), ChatMessage("user", said)],
        sampling=Sampling(temperature=0.0, max_tokens=400),
        response_format={"type": "json_object"},
        background=True,
    )


def parse_verdict(text: str) -> Verdict:
    """The critic's verdict; an answer that is not one counts as accept: the critic can
    only send work back, never hold a task up by failing to speak."""
    data = json_object(text)
    if not isinstance(data, dict) or data.get("verdict") not in ("accept", "revise"):
        log.warning("task critic: not a verdict, taken as accept: %.200r", text)
        return Verdict(True, "")
    feedback = data.get("feedback")
    return Verdict(data["verdict"] == "accept", str(feedback or "")[:2000])


async def criticise(ports: StepPorts, work: StepWork, result: str) -> Verdict:
    request = critic_request(work, result)
    answer = await ask(
        ports.models,
        ports.usage,
        request=request,
        target=Target(lane=CRITIC_LANE),
        context=work.context(CRITIC_LANE),
    )
    return parse_verdict(answer.text)
