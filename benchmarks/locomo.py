"""Retrieval quality of episodic memory on LoCoMo (evidence recall@5, @10 and MRR).

    python -m benchmarks.locomo [--backend sqlite|postgres|both] [--limit-conversations N]
                                [--data ../shared/data/locomo/locomo10.json]

For each of LoCoMo's 10 conversations (../shared/data/locomo/SOURCE.md) a fresh store is
made and migrated (SQLite: a temp file; PostgreSQL: a fresh database on the embedded
server) and a Runtime is built on it with `build_runtime`, so the default embedder
(all-MiniLM-L6-v2, local, CPU) is the one that runs. Every session's turns go in order
through the real ingestion path, `memory.episodic.turn_chunks` (the previous turn carried
across session boundaries, the session's date on each turn, an image's caption appended
to its turn) and `Retrieval.index`. Each question of categories 1 to 4 is then
asked with `Retrieval.search(limit=10)` in keyword, vector and hybrid mode, in
the conversation's scope; hits map back to dialogue ids through `Hit.source_id`.

Reported per category and overall: evidence recall@5 and @10 (the share of a question's
evidence turns among the top k; questions without evidence are skipped) and MRR (1/rank
of the first evidence turn in the top 10, else 0), and the latency of each search call
in milliseconds (query embedding included). Nothing is tuned to this data.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.support import percentile, postgres_server
from cognitia.config import Settings
from cognitia.memory.episodic import Turn, turn_chunks
from cognitia.migrations import runner
from cognitia.retrieval.service import Retrieval
from cognitia.retrieval.types import Scope, SearchMode
from cognitia.runtime import build_runtime

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "locomo" / "locomo10.json"
# LoCoMo's numbering as used by mem0 and Zep, checked against the paper's counts.
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
MODES: list[SearchMode] = ["keyword", "vector", "hybrid"]
LIMIT = 10
_SESSION = re.compile(r"session_(\d+)$")
# A few evidence lists hold "D8:6; D9:17" in one string.
_EVIDENCE_SPLIT = re.compile(r"[;,\s]+")


@dataclass
class Scores:
    recall5: list[float] = field(default_factory=list)
    recall10: list[float] = field(default_factory=list)
    rr: list[float] = field(default_factory=list)

    def add(self, ranked: list[str], evidence: set[str]) -> None:
        self.recall5.append(len(evidence & set(ranked[:5])) / len(evidence))
        self.recall10.append(len(evidence & set(ranked[:10])) / len(evidence))
        first = next((i for i, dia in enumerate(ranked[:10], 1) if dia in evidence), None)
        self.rr.append(1 / first if first else 0.0)


@dataclass
class Result:
    turns: int = 0
    ingest_s: float = 0.0
    skipped: int = 0
    scores: dict[tuple[SearchMode, int], Scores] = field(default_factory=dict)
    latency: dict[SearchMode, list[float]] = field(default_factory=dict)


def session_turns(conversation: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(date_time, turns) for each session, in session order."""
    numbers = sorted(
        int(m.group(1)) for key in conversation if (m := _SESSION.match(key)) is not None
    )
    for n in numbers:
        yield conversation.get(f"session_{n}_date_time", ""), conversation[f"session_{n}"]


def turn_of(raw: dict[str, Any], at: str) -> Turn:
    text = raw["text"]
    if raw.get("blip_caption"):
        text = f"{text} [shares a photo: {raw['blip_caption']}]"
    return Turn(id=raw["dia_id"], speaker=raw["speaker"], text=text, at=at or None)


def evidence_of(qa: dict[str, Any]) -> set[str]:
    return {e for item in qa.get("evidence", []) for e in _EVIDENCE_SPLIT.split(item) if e}


async def run_conversation(url: str, data_dir: Path, sample: dict[str, Any], out: Result) -> None:
    settings = Settings(database_url=url, data_dir=data_dir, log_level="WARNING")
    runtime = build_runtime(settings)
    index = Retrieval.over(runtime)
    scope = Scope(character_id=str(uuid.uuid4()))
    try:
        started = time.perf_counter()
        previous: Turn | None = None
        for at, raw_turns in session_turns(sample["conversation"]):
            turns = [turn_of(raw, at) for raw in raw_turns]
            await index.index(turn_chunks(turns, scope=scope, previous=previous))
            previous = turns[-1] if turns else previous
            out.turns += len(turns)
        out.ingest_s += time.perf_counter() - started
        for qa in sample["qa"]:
            if qa.get("category") not in CATEGORIES:
                continue
            evidence = evidence_of(qa)
            if not evidence:
                out.skipped += 1
                continue
            for mode in MODES:
                began = time.perf_counter()
                hits = await index.search(
                    query=qa["question"], scopes=[scope], limit=LIMIT, mode=mode
                )
                out.latency.setdefault(mode, []).append((time.perf_counter() - began) * 1000)
                ranked = [hit.source_id for hit in hits]
                out.scores.setdefault((mode, qa["category"]), Scores()).add(ranked, evidence)
    finally:
        await runtime.close()


@contextmanager
def stores(backend: str, tmp: Path) -> Iterator[Callable[[str], str]]:
    """Yields `fresh(name)`: the URL of a new, migrated, empty store."""
    with ExitStack() as stack:
        create: Callable[[str], str]
        if backend == "postgres":
            create = stack.enter_context(postgres_server(tmp / "pg"))
        else:

            def create(name: str) -> str:
                return f"sqlite+aiosqlite:///{tmp / name}.db"

        def fresh(name: str) -> str:
            url = create(name)
            runner.upgrade(url)
            return url

        yield fresh


def run_backend(backend: str, samples: list[dict[str, Any]]) -> Result:
    out = Result()
    with tempfile.TemporaryDirectory(prefix=f"locomo-{backend}-") as tmp_name:
        tmp = Path(tmp_name)
        with stores(backend, tmp) as fresh:
            for i, sample in enumerate(samples):
                url = fresh(f"locomo_{i}")
                data_dir = tmp / f"data_{i}"
                data_dir.mkdir()
                asyncio.run(run_conversation(url, data_dir, sample, out))
                print(f"  {backend}: conversation {i + 1}/{len(samples)} done", flush=True)
    return out


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def table(backend: str, result: Result) -> str:
    lines = [
        f"{backend}: {result.turns} turns ingested in {result.ingest_s:.0f} s; "
        f"{result.skipped} questions without evidence skipped",
        f"{'mode':<8} {'category':<14} {'n':>5} {'R@5':>6} {'R@10':>6} {'MRR':>6}"
        f" {'p50 ms':>7} {'p99 ms':>7}",
        "-" * 66,
    ]
    for mode in MODES:
        overall = Scores()
        for number, name in CATEGORIES.items():
            s = result.scores.get((mode, number), Scores())
            overall.recall5 += s.recall5
            overall.recall10 += s.recall10
            overall.rr += s.rr
            lines.append(row(mode, f"{number} {name}", s, ""))
        latency = result.latency.get(mode, [0.0])
        timing = f" {percentile(latency, 50):>7.1f} {percentile(latency, 99):>7.1f}"
        lines.append(row(mode, "overall (1-4)", overall, timing))
    return "\n".join(lines)


def row(mode: str, label: str, s: Scores, timing: str) -> str:
    return (
        f"{mode:<8} {label:<14} {len(s.rr):>5} {mean(s.recall5):>6.3f}"
        f" {mean(s.recall10):>6.3f} {mean(s.rr):>6.3f}{timing}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--limit-conversations", type=int, default=None)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    samples = json.loads(args.data.read_text())[: args.limit_conversations]
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    tables = []
    for backend in backends:
        tables.append(table(backend, run_backend(backend, samples)))
        print(tables[-1], flush=True)
    print("\n\n".join(tables))


if __name__ == "__main__":
    main()
