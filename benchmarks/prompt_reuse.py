"""How much of each reply's prompt a model server must evaluate anew in a long chat.

llama.cpp (and vLLM) keep the evaluated state of the previous prompt and reuse it for
the longest common start of the next one: on a CPU, the first token of a reply waits for
the rest. This runs the real prompt assembly over a simulated chat with the bundled
model's settings (2,048-token window, 250-token replies, the chatml template, a recalled
memory that differs every reply) and counts, per reply, the tokens after the start it
shares with the previous prompt. Two layouts: as assembled today, and the earlier one
(recall at the top, history trimmed one message at a time). Deterministic: no model runs.

    python -m benchmarks.prompt_reuse [--exchanges 200] [--window 2048]

Divide the tokens by the prompt evaluation speed for seconds to the first token (the
bundled model on 2 cores: about 200 tokens/s, docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from benchmarks.support import percentile
from cognitia.llm import logic
from cognitia.prompting import assembly
from cognitia.prompting.types import CharacterCard, ContextSection, HistoryMessage, PromptInputs

CARD = CharacterCard(
    id="aria",
    name="Aria",
    description="Aria keeps the lighthouse on the northern cape. " * 6,
    personality="Patient, dry humour, remembers every ship.",
    scenario="A stormy evening in the lamp room.",
    prompt_template="chatml",
)
REPLY_TOKENS = 250
LINES = (
    "Tell me about the ship that ran aground in the winter of the great storm.",
    "The keel split on the rocks below the cape, and the crew climbed the cliff by rope.",
    "Did anyone keep the ship's bell?",
    "It hangs in the harbour chapel now; the priest rings it when fog comes in.",
)


def history(length: int) -> list[HistoryMessage]:
    return [
        HistoryMessage(
            "user" if seq % 2 == 0 else "character",
            "Ann" if seq % 2 == 0 else "Aria",
            f"{LINES[seq % len(LINES)]} ({seq})",
            seq=seq,
        )
        for seq in range(1, length + 1)
    ]


def prompt(length: int, window: int) -> str:
    recalled = ContextSection("memory", f"(2026-01-0{length % 9 + 1}) Ann: a memory {length}.")
    inputs = PromptInputs(
        character=CARD,
        user_name="Ann",
        history=history(length),
        budget_tokens=window - REPLY_TOKENS,
        count_tokens=logic.estimate_tokens,
        now=datetime(2026, 1, 1, tzinfo=UTC),
        sections=[recalled],
        message_overhead=logic.MESSAGE_OVERHEAD_TOKENS,
    )
    text = assembly.assemble(inputs).text
    assert text is not None
    return text


@contextmanager
def earlier_layout() -> Iterator[None]:
    saved = assembly.AT_THE_TOP, assembly.HISTORY_STEP
    assembly.AT_THE_TOP, assembly.HISTORY_STEP = ("summary", "memory", "knowledge"), 1
    try:
        yield
    finally:
        assembly.AT_THE_TOP, assembly.HISTORY_STEP = saved


def new_tokens(before: str, after: str) -> int:
    """Tokens of `after` past the start it shares with `before`."""
    shared = len(os.path.commonprefix([before, after]))  # noqa: RUF071 - text, as a server sees it
    return logic.estimate_tokens(after[shared:])


def measure(exchanges: int, window: int) -> dict[str, float]:
    texts = [prompt(2 + 2 * n, window) for n in range(exchanges)]
    fresh = [new_tokens(a, b) for a, b in itertools.pairwise(texts)]
    late = fresh[len(fresh) // 2 :]  # the chat is long by then: its history is trimmed
    return {
        "prompt": logic.estimate_tokens(texts[-1]),
        "mean": sum(late) / len(late),
        "p50": percentile([float(v) for v in late], 50),
        "p95": percentile([float(v) for v in late], 95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", type=int, default=200)
    parser.add_argument("--window", type=int, default=2048)
    args = parser.parse_args()
    now = measure(args.exchanges, args.window)
    with earlier_layout():
        before = measure(args.exchanges, args.window)
    print(f"{args.exchanges} exchanges, {args.window}-token window; the later half of the chat:")
    print("| layout | prompt tokens | new tokens per reply: mean | p50 | p95 |")
    print("|---|---|---|---|---|")
    for name, row in (("recall at the top, trimmed by 1", before), ("this code", now)):
        cells = f"{row['prompt']:.0f} | {row['mean']:.0f} | {row['p50']:.0f} | {row['p95']:.0f}"
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    main()
