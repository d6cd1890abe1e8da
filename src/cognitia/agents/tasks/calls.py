"""Asking a lane or a model for text on behalf of a task, the same way for every role:
the call is recorded against the task (and step) in llm_call, a failure is one exception."""

from __future__ import annotations

import json
from typing import Any

from cognitia.agents.tasks.errors import StepError
from cognitia.errors import CognitiaError
from cognitia.llm import service as llm
from cognitia.llm.logic import Target
from cognitia.llm.ports import ChatRequest
from cognitia.llm.registry import ModelRegistry


async def ask(
    models: ModelRegistry,
    usage: llm.UsageRecorder,
    *,
    request: ChatRequest,
    target: Target,
    context: llm.CallContext,
) -> llm.Completion:
    """The whole completion; StepError when no model answered or the answer broke off."""
    try:
        result = await llm.complete(models, usage, request=request, target=target, context=context)
    except CognitiaError as error:  # no model in the lane, the provider refused...
        raise StepError(f"{error.code}: {error.detail}") from error
    if result.failed is not None:
        raise StepError(f"{result.failed.code}: {result.failed.message}")
    return result


def json_object(text: str) -> Any | None:
    """The outermost JSON object in a model's answer (models wrap it in prose or fences)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        return json.loads(text[start : end + 1])
    except ValueError:
        return None
