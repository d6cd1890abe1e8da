"""calculator: arithmetic over Python's `ast`, never eval. Only numbers, + - * / // % **,
unary signs, a few math functions and constants; exponents and integer sizes are bounded
so that "9**9**9" is refused instead of taking the process's memory and CPU."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from cognitia.agents.tools.base import Tool, ToolContext, ToolError, object_schema

MAX_LENGTH = 500
MAX_EXPONENT = 1000
MAX_INT_BITS = 4096  # about 1233 decimal digits
MAX_DEPTH = 50

Number = int | float

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_FUNCTIONS: dict[str, Callable[..., Number]] = {
    "sqrt": math.sqrt,
    "abs": abs,
    "round": round,
    "floor": math.floor,
    "ceil": math.ceil,
    "log": math.log,
    "log10": math.log10,
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "min": min,
    "max": max,
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}


def evaluate(expression: str) -> Number:
    """The value of `expression`; ToolError for anything but bounded arithmetic."""
    if len(expression) > MAX_LENGTH:
        raise ToolError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise ToolError(f"not an arithmetic expression: {expression!r}") from None
    try:
        return _value(tree.body, 0)
    except ZeroDivisionError:
        raise ToolError("division by zero") from None
    except (OverflowError, ValueError) as exc:
        raise ToolError(f"cannot compute: {exc}") from None


def _value(node: ast.expr, depth: int) -> Number:
    if depth > MAX_DEPTH:
        raise ToolError("expression nested too deeply")
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return _bounded(node.value)
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _bounded(_UNARY[type(node.op)](_value(node.operand, depth + 1)))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left, depth + 1), _value(node.right, depth + 1)
        if isinstance(node.op, ast.Pow):
            _check_power(left, right)
        return _bounded(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        function = _FUNCTIONS.get(node.func.id)
        if function is not None and node.args:
            return _bounded(function(*(_value(a, depth + 1) for a in node.args)))
    raise ToolError(f"not allowed in a calculation: {ast.unparse(node)!r}")


def _check_power(base: Number, exponent: Number) -> None:
    if abs(exponent) > MAX_EXPONENT:
        raise ToolError(f"exponent larger than {MAX_EXPONENT}")
    whole = isinstance(base, int) and isinstance(exponent, int) and exponent > 0
    if whole and int(base).bit_length() * int(exponent) > MAX_INT_BITS:
        raise ToolError("result too large")


def _bounded(value: Any) -> Number:
    if isinstance(value, complex):
        raise ToolError("the result is not a real number")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ToolError("result too large")
    return value  # type: ignore[no-any-return]


def formatted(value: Number) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


async def _run(args: dict[str, Any], context: ToolContext) -> str:
    expression = str(args["expression"])
    return f"{expression} = {formatted(evaluate(expression))}"


CALCULATOR = Tool(
    name="calculator",
    description="Exact arithmetic: + - * / // % ** and sqrt, log, sin, cos, round, min, max;"
    " pi and e. Use it for any calculation instead of working it out.",
    parameters=object_schema(
        {"expression": {"type": "string", "minLength": 1, "maxLength": MAX_LENGTH}},
        required=("expression",),
    ),
    runner=_run,
)
