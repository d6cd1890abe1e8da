"""Retrieval latency, index build time and size at 10k, 100k (and 1M) chunks.

    python -m benchmarks.retrieval_scale [--sizes 10000,100000] [--backend sqlite|postgres|both]
                                         [--queries 200] [--build-memory-mb 4096]
                                         [--build-workers N]

Synthetic chunks: sentences of 20 to 60 words drawn (Zipf-weighted, fixed seed) from a
fixed vocabulary of 5,000 made-up words, each with a RANDOM unit vector of 384 floats
(the default embedder's size). Rows and vectors go in directly through
`retrieval.repository.add` and the runtime's `VectorIndex.store`, in units of work of
2,000 chunks: embedding a million chunks with MiniLM on two CPU cores would take hours
and measure the embedder, not the store. They are written as a bulk load
(`Retrieval.bulk_load`, as `cognitia reindex` does): on PostgreSQL the HNSW index
is dropped first and built once at the end, with `maintenance_work_mem` of
--build-memory-mb and --build-workers parallel workers (default: one per core beyond the
first, since the leader builds too); SQLite has nothing to build afterwards. The chunks
are spread over 10 scopes (a character's documents each); every search asks for one
scope, so the filter keeps a tenth of the table.

Searches go through the real `Retrieval.search(limit=10)` in each mode; the
vector and hybrid figures include embedding the query with the default embedder (its
cost alone is printed as `embed`). Reported: build time (rows, keyword index and vector
index written, committed), of which `index s` is the index built at the end, the
database's size on disk, the benchmark process's peak RSS, and search latency p50/p99
in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import text

from benchmarks.support import percentile, postgres_server
from cognitia.config import Settings
from cognitia.migrations import runner
from cognitia.retrieval import repository
from cognitia.retrieval.service import Retrieval
from cognitia.retrieval.types import ChunkInput, Scope, SearchMode, SourceKind
from cognitia.runtime import Runtime, build_runtime

DIMENSIONS = 384
BATCH = 2000
SCOPES = 10
SEED = 20240101
MODES: list[SearchMode] = ["vector", "keyword", "hybrid"]
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "be", "da", "fe", "gu", "po", "zi"]


@dataclass
class Measured:
    size: int
    build_s: float = 0.0
    index_s: float = 0.0
    db_bytes: int = 0
    peak_rss_mib: float = 0.0
    latency: dict[str, list[float]] = field(default_factory=dict)


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Sentences:
    """Zipf-weighted sentences over a fixed vocabulary, deterministic for a seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        self.weights = [1 / rank for rank in range(1, len(self.words) + 1)]

    def sentence(self, low: int, high: int) -> str:
        count = self.rng.randint(low, high)
        return " ".join(self.rng.choices(self.words, self.weights, k=count))


def unit_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    vectors = rng.standard_normal((count, DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def index_of(runtime: Runtime) -> Retrieval:
    return Retrieval.over(runtime)


async def build(
    runtime: Runtime, size: int, scopes: list[Scope], *, kind: SourceKind = "document"
) -> tuple[float, float]:
    """Write `size` chunks as a bulk load; returns (seconds in all, seconds of the index
    build at the end)."""
    started = time.perf_counter()
    async with index_of(runtime).bulk_load(dimensions=DIMENSIONS):
        await load(runtime, size, scopes, kind=kind)
        loaded = time.perf_counter()
    finished = time.perf_counter()
    return finished - started, finished - loaded


async def load(
    runtime: Runtime, size: int, scopes: list[Scope], *, kind: SourceKind = "document"
) -> None:
    """`size` chunks of `kind`, the i-th in scopes[i % len(scopes)], with random vectors."""
    sentences = Sentences(SEED)
    vectors_rng = np.random.default_rng(SEED)
    model = runtime.models.embedder().name  # the name only: the model is not loaded here
    began = time.perf_counter()
    for start in range(0, size, BATCH):
        if start and start % (50 * BATCH) == 0:  # progress of long builds, on stderr
            rate = start / (time.perf_counter() - began)
            print(f"  loaded {start} chunks, {rate:.0f}/s", file=sys.stderr, flush=True)
        count = min(BATCH, size - start)
        chunks = [
            ChunkInput(
                text=sentences.sentence(20, 60),
                source_kind=kind,
                source_id=f"doc-{(start + i) // 50}",
                scope=scopes[(start + i) % len(scopes)],
                position=(start + i) % 50,
            )
            for i in range(count)
        ]
        vectors = unit_vectors(vectors_rng, count)
        async with runtime.db.unit_of_work() as session:
            await runtime.vectors.ensure(session, dimensions=DIMENSIONS)
            rows = await repository.add(session, chunks, embedding_model=model)
            await runtime.vectors.store(
                session, [(row.seq, v.tolist()) for row, v in zip(rows, vectors, strict=True)]
            )


async def searches(runtime: Runtime, scope: Scope, queries: int) -> dict[str, list[float]]:
    sentences = Sentences(SEED + 1)
    asked = [sentences.sentence(4, 10) for _ in range(queries)]
    embedder = runtime.models.embedder()
    await embedder.embed(["warm up"])  # load the model outside the timings
    await index_of(runtime).search(query=asked[0], scopes=[scope], mode="hybrid")
    latency: dict[str, list[float]] = {"embed": []}
    for query in asked:
        began = time.perf_counter()
        await embedder.embed([query])
        latency["embed"].append((time.perf_counter() - began) * 1000)
    for mode in MODES:
        latency[mode] = []
        for query in asked:
            began = time.perf_counter()
            await index_of(runtime).search(query=query, scopes=[scope], limit=10, mode=mode)
            latency[mode].append((time.perf_counter() - began) * 1000)
    return latency


async def db_bytes(runtime: Runtime, path: Path | None) -> int:
    if path is not None:
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    async with runtime.db.read() as session:
        return int(await session.scalar(text("SELECT pg_database_size(current_database())")))


async def measure(
    url: str, data_dir: Path, size: int, queries: int, index_build: dict[str, int]
) -> Measured:
    settings = Settings(
        database_url=url, data_dir=data_dir, log_level="WARNING", retrieval=index_build
    )
    runtime = build_runtime(settings)
    scopes = [Scope(character_id=str(uuid.uuid4())) for _ in range(SCOPES)]
    out = Measured(size=size)
    try:
        out.build_s, out.index_s = await build(runtime, size, scopes)
        sqlite_path = Path(url.split("///", 1)[1]) if url.startswith("sqlite") else None
        out.db_bytes = await db_bytes(runtime, sqlite_path)
        out.latency = await searches(runtime, scopes[0], queries)
    finally:
        await runtime.close()
    out.peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_backend(
    backend: str, sizes: list[int], queries: int, index_build: dict[str, int]
) -> list[Measured]:
    results = []
    with tempfile.TemporaryDirectory(prefix=f"scale-{backend}-") as tmp_name:
        tmp = Path(tmp_name)
        server = postgres_server(tmp / "pg") if backend == "postgres" else nullcontext(None)
        with server as create:
            for size in sizes:
                name = f"scale_{size}"
                url = create(name) if create else f"sqlite+aiosqlite:///{tmp}/{name}.db"
                runner.upgrade(url)
                data_dir = tmp / f"data_{size}"
                data_dir.mkdir()
                measured = measure(url, data_dir, size, queries, index_build)
                results.append(asyncio.run(measured))
                print(row(backend, results[-1]), flush=True)
    return results


HEADER = (
    f"{'backend':<9} {'chunks':>8} {'build s':>8} {'index s':>8} {'DB MiB':>7} {'RSS MiB':>8}"
) + "".join(f" {m + ' p50':>11} {m + ' p99':>11}" for m in ["embed", *MODES])


def row(backend: str, m: Measured) -> str:
    cells = "".join(
        f" {percentile(m.latency[k], 50):>11.1f} {percentile(m.latency[k], 99):>11.1f}"
        for k in ["embed", *MODES]
    )
    return (
        f"{backend:<9} {m.size:>8} {m.build_s:>8.1f} {m.index_s:>8.1f} {m.db_bytes / 2**20:>7.0f}"
        f" {m.peak_rss_mib:>8.0f}{cells}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--build-memory-mb", type=int, default=4096)
    parser.add_argument("--build-workers", type=int, default=max(0, (os.cpu_count() or 1) - 1))
    args = parser.parse_args()
    index_build = {
        "index_build_memory_mb": args.build_memory_mb,
        "index_build_workers": args.build_workers,
    }
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(HEADER, flush=True)
    rows = [row(b, m) for b in backends for m in run_backend(b, sizes, args.queries, index_build)]
    print("\n" + HEADER + "\n" + "-" * len(HEADER) + "\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
