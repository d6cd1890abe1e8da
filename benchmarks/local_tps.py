"""Tokens per second of the bundled SmolLM2: Cognitia's LocalLlama against llama-cpp-python.

Both sides load the same GGUF with the same settings and stream the same greedy reply;
the difference is what LocalLlama adds: the worker thread, the hand-over to the event
loop, prompt counting and the async iteration. Runs alternate between the two, so
background load on the machine falls on both alike.

    python -m benchmarks.local_tps [--runs 5] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass

from llama_cpp import Llama

from cognitia.llm.catalogue import ProviderConfig
from cognitia.llm.ports import ChatMessage, ChatRequest, Sampling, TextDelta, Usage
from cognitia.llm.runner.llama import LocalLlama, bundled_model_path

PROMPT = "Write a long story about a dragon who learns to cook."
N_CTX = 2048


@dataclass(frozen=True)
class Run:
    tokens: int
    seconds: float
    first_token_seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds


def run_direct(llama: Llama, max_tokens: int) -> Run:
    start = time.perf_counter()
    first: float | None = None
    tokens = 0
    for chunk in llama.create_chat_completion(
        [{"role": "user", "content": PROMPT}], stream=True, temperature=0.0, max_tokens=max_tokens
    ):
        delta = chunk["choices"][0]["delta"]  # type: ignore[index]
        if "content" in delta:
            tokens += 1
            if first is None and delta["content"]:
                first = time.perf_counter() - start
    elapsed = time.perf_counter() - start
    return Run(tokens, elapsed, first if first is not None else elapsed)


async def run_cognitia(provider: LocalLlama, max_tokens: int) -> Run:
    request = ChatRequest(
        [ChatMessage("user", PROMPT)], sampling=Sampling(temperature=0.0, max_tokens=max_tokens)
    )
    start = time.perf_counter()
    first: float | None = None
    tokens = 0
    async for event in provider.stream(request, model="smollm2-135m"):
        if isinstance(event, TextDelta) and first is None:
            first = time.perf_counter() - start
        elif isinstance(event, Usage):
            tokens = event.completion_tokens
    elapsed = time.perf_counter() - start
    return Run(tokens, elapsed, first if first is not None else elapsed)


def row(label: str, runs: list[Run]) -> tuple[str, int, float, float]:
    return (
        label,
        int(statistics.median(r.tokens for r in runs)),
        statistics.median(r.tokens_per_second for r in runs),
        statistics.median(r.first_token_seconds for r in runs) * 1000,
    )


def report(runs: int, max_tokens: int, direct: list[Run], cognitia: list[Run]) -> None:
    base, ours = row("llama-cpp-python direct", direct), row("Cognitia LocalLlama", cognitia)
    # Overhead: how much slower Cognitia is (positive = slower), in throughput and in TTFT.
    slower_tps = (base[2] - ours[2]) / base[2] * 100
    slower_ttft = (ours[3] - base[3]) / base[3] * 100
    print(f"SmolLM2-135M-Instruct Q4_1, max_tokens={max_tokens}, temperature 0, {runs} runs")
    print(f"prompt: {PROMPT!r}; medians")
    print()
    print(f"{'path':<26}{'tokens':>8}{'tok/s':>10}{'TTFT ms':>10}")
    for label, tokens, tps, ttft in (base, ours):
        print(f"{label:<26}{tokens:>8}{tps:>10.1f}{ttft:>10.1f}")
    print(f"{'overhead':<26}{'':>8}{slower_tps:>9.1f}%{slower_ttft:>9.1f}%")


async def main(runs: int, max_tokens: int) -> None:
    direct = Llama(model_path=bundled_model_path(), n_ctx=N_CTX, verbose=False)
    provider = LocalLlama("local", ProviderConfig(type="local", concurrency=1, n_ctx=N_CTX))
    # Warm both up: loading, page cache, the prompt's KV-cache prefix on each side.
    run_direct(direct, 8)
    await run_cognitia(provider, 8)
    direct_runs: list[Run] = []
    cognitia_runs: list[Run] = []
    for _ in range(runs):
        direct_runs.append(run_direct(direct, max_tokens))
        cognitia_runs.append(await run_cognitia(provider, max_tokens))
    await provider.close()
    direct.close()
    report(runs, max_tokens, direct_runs, cognitia_runs)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per side (default 5)")
    parser.add_argument(
        "--max-tokens", type=int, default=128, help="tokens per reply (default 128)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.max_tokens))


if __name__ == "__main__":
    cli()
