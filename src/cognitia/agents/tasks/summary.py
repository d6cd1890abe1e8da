"""The summarizer: the summarize lane writes a task's result from its steps' results."""

from __future__ import annotations

from collections.abc import Sequence

from cognitia.agents.tasks import prompts
from cognitia.llm.ports import ChatMessage, ChatRequest, Sampling

LANE = "summarize"
MAX_OUTPUT_TOKENS = 2000
MAX_STEP_CHARS = 6000


def build_request(
    prompt: prompts.Prompt, *, goal: str, results: Sequence[tuple[str, str]]
) -> ChatRequest:
    """`results`: (title, result) of every step, in plan order."""
    parts = [f"Goal: {goal}"]
    parts += [f"Step {title!r}:\n{text[:MAX_STEP_CHARS]}" for title, text in results]
    return ChatRequest(
        messages=[ChatMessage("system", prompt.render()), ChatMessage("user", "\n\n".join(parts))],
        sampling=Sampling(temperature=0.2, max_tokens=MAX_OUTPUT_TOKENS),
        background=True,
    )
