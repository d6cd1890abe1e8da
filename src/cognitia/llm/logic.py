"""Pure functions of the model layer: cost arithmetic, token estimates, target parsing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from cognitia.llm.ports import ChatMessage

NANOS_PER_USD = 1_000_000_000
# Chat formats add a few tokens per message (role markers, separators).
MESSAGE_OVERHEAD_TOKENS = 4
# Where no tokenizer is available: about four characters per token for English text.
# An estimate, documented as such in docs/models.md; it errs on the high side for code.
CHARS_PER_TOKEN = 4


def cost_nanousd(
    prompt_tokens: int, completion_tokens: int, *, input_price: float, output_price: float
) -> int:
    """Cost in billionths of a dollar; prices are USD per million tokens.

    A price per million tokens in USD is the same number as nano-dollars per thousand
    tokens, so integer nano-dollars keep sums exact.
    """
    return round(prompt_tokens * input_price * 1000 + completion_tokens * output_price * 1000)


def nanousd_to_usd(nanos: int) -> float:
    return nanos / NANOS_PER_USD


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def estimate_prompt_tokens(messages: Sequence[ChatMessage]) -> int:
    return sum(estimate_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in messages)


@dataclass(frozen=True)
class Target:
    """What a request asks for: a catalogue model, or a lane (its fallback chain).

    `route_reason`: set when the lane was picked by the intent router for `lane/auto`
    (llm/service.py route_target); why it was."""

    model: str | None = None
    lane: str | None = None
    route_reason: str | None = None


LANE_PREFIX = "lane/"
# Lanes whose work no person waits for: served after interactive requests (ChatRequest).
BACKGROUND_LANES = frozenset({"summarize", "extract"})


def parse_target(name: str) -> Target:
    """`lane/chat` names a lane; anything else a catalogue model."""
    if name.startswith(LANE_PREFIX):
        return Target(lane=name[len(LANE_PREFIX) :])
    return Target(model=name)
