"""The pure built-ins: the calculator's bounds and the clock's time zones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cognitia.agents.tools.base import ToolError
from cognitia.agents.tools.calculator import evaluate, formatted
from cognitia.agents.tools.clock import describe


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("2 + 3 * 4", "14"),
        ("(2 + 3) * 4", "20"),
        ("7 / 2", "3.5"),
        ("7 // 2", "3"),
        ("-2 ** 2", "-4"),
        ("2 ** 100", str(2**100)),
        ("sqrt(16) + abs(-1)", "5"),
        ("round(pi, 3)", "3.142"),
        ("max(1, 5, 3) % 3", "2"),
    ],
)
def test_arithmetic(expression: str, value: str) -> None:
    assert formatted(evaluate(expression)) == value


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("9 ** 9 ** 9", "exponent larger"),
        ("2 ** 5000", "exponent larger"),
        ("999 ** 999", "result too large"),
        ("*".join(["2 ** 1000"] * 5), "result too large"),
        ("1 / 0", "division by zero"),
        ("10.0 ** 999", "cannot compute"),
        ("exp(1000)", "cannot compute"),
        ("(-8) ** 0.5", "not a real number"),
        ("__import__('os').system('true')", "not allowed"),
        ("().__class__", "not allowed"),
        ("x + 1", "not allowed"),
        ("[1, 2]", "not allowed"),
        ("'a' * 3", "not allowed"),
        ("1 +", "not an arithmetic expression"),
        ("1" + "+1" * 300, "longer than"),
        ("-" * 60 + "1", "nested too deeply"),
    ],
)
def test_refused(expression: str, reason: str) -> None:
    with pytest.raises(ToolError, match=reason):
        evaluate(expression)


def test_the_clock_in_utc_and_a_zone() -> None:
    now = datetime(2026, 7, 1, 12, 30, tzinfo=UTC)
    assert describe(now, None) == "UTC: 2026-07-01 12:30:00 (Wednesday)"
    paris = describe(now, "Europe/Paris").splitlines()[1]
    assert paris == "Europe/Paris: 2026-07-01 14:30:00 (Wednesday, UTC+0200)"
    with pytest.raises(ToolError, match="unknown time zone"):
        describe(now, "Mars/Olympus")
