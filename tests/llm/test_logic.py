"""Cost arithmetic, token estimates and target parsing."""

from __future__ import annotations

import pytest

from cognitia.llm import logic
from cognitia.llm.ports import ChatMessage


@pytest.mark.parametrize(
    ("prompt", "completion", "input_price", "output_price", "expected_nanos"),
    [
        (0, 0, 2.5, 10.0, 0),
        (1_000_000, 0, 2.5, 10.0, 2_500_000_000),  # a million prompt tokens at $2.50/M
        (0, 1_000_000, 2.5, 10.0, 10_000_000_000),
        (1000, 500, 0.15, 0.60, 150_000 + 300_000),  # gpt-4o-mini-like prices
        (1, 1, 3.0, 15.0, 3000 + 15000),
        (123, 0, 0.0, 0.0, 0),
    ],
)
def test_cost_in_nano_dollars(
    prompt: int, completion: int, input_price: float, output_price: float, expected_nanos: int
) -> None:
    cost = logic.cost_nanousd(
        prompt, completion, input_price=input_price, output_price=output_price
    )
    assert cost == expected_nanos


def test_costs_sum_exactly() -> None:
    one = logic.cost_nanousd(1, 1, input_price=0.1, output_price=0.3)
    total = sum(logic.cost_nanousd(1, 1, input_price=0.1, output_price=0.3) for _ in range(10))
    assert total == 10 * one
    assert logic.nanousd_to_usd(total) == pytest.approx(10 * (0.1 + 0.3) / 1e6)


def test_token_estimate_is_a_quarter_of_the_characters_rounded_up() -> None:
    assert logic.estimate_tokens("") == 0
    assert logic.estimate_tokens("abcd") == 1
    assert logic.estimate_tokens("abcde") == 2
    messages = [ChatMessage("user", "abcd"), ChatMessage("assistant", "abcdefgh")]
    assert logic.estimate_prompt_tokens(messages) == 1 + 2 + 2 * logic.MESSAGE_OVERHEAD_TOKENS


def test_target_parsing() -> None:
    assert logic.parse_target("lane/roleplay") == logic.Target(lane="roleplay")
    assert logic.parse_target("gpt-4o") == logic.Target(model="gpt-4o")
