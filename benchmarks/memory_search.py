"""Memory search latency at 1k, 10k and 100k memories of one person with one character.

    python -m benchmarks.memory_search [--sizes 1000,10000,100000] [--backend sqlite|postgres|both]
                                       [--queries 200] [--limit 50]

What `GET /api/v2/characters/{id}/memories?q=` runs (issue 13): `memory.service.search`
for a real user and character row, in a unit of work as the request's, with the router's
default limit of 50 (hybrid search over the person's episodes and facts with that
character). For each size N the store holds N episodes (chunks of kind "message" in
Scope(character_id=C, user_id=U)) and N more spread evenly over eight other pairs of
three people and three characters (C with the other people, U with the other characters,
and the rest), so the scope filter keeps half the table. Chunks, texts (Zipf-weighted
made-up words) and random unit vectors come from benchmarks/retrieval_scale.py, written
as its bulk load does.

Each query's latency is split in two, as a reply's recall and a repeated search see it:

- embed: the query's embedding by the runtime's default embedder, the bundled MiniLM in
  the model runner, as the server runs it;
- search: `memory.service.search` with that vector given (an Embedder that returns the
  vector computed beforehand), so everything after the embedding: the character check,
  the vec0/pgvector KNN, the keyword query, the fusion, the rows and the memory items;
- total: the two added up per query.

Printed: build time, p50/p95/p99 of each part in milliseconds, and the mean number of
memories a search returned.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.retrieval_scale import SEED, Sentences, build
from benchmarks.support import percentile, postgres_server
from cognitia.auth import service as auth
from cognitia.auth.schemas import RegisterRequest
from cognitia.characters import service as characters
from cognitia.characters.schemas import CharacterCreate
from cognitia.config import Settings
from cognitia.memory import service as memory
from cognitia.migrations import runner
from cognitia.models.user import User
from cognitia.retrieval.service import Retrieval
from cognitia.retrieval.types import Scope
from cognitia.runtime import Runtime, build_runtime

PEOPLE = 3
CHARACTERS = 3
PARTS = ["embed", "search", "total"]


@dataclass
class Measured:
    size: int
    build_s: float = 0.0
    hits: float = 0.0
    latency: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class Embedded:
    """The Embedder port over vectors computed beforehand: a search timed without its
    query's embedding."""

    name: str
    dimensions: int
    vectors: dict[str, list[float]]

    async def embed(self, texts: Sequence[str], **_: object) -> list[list[float]]:
        return [self.vectors[text] for text in texts]

    async def close(self) -> None:
        return None


async def people_and_characters(runtime: Runtime) -> tuple[list[User], list[str]]:
    """PEOPLE verified users; CHARACTERS characters of the first one (private)."""
    async with runtime.db.unit_of_work() as session:
        people = [
            await auth.register(
                session,
                runtime.settings,
                data=RegisterRequest(
                    email=f"person{n}@example.com", password="Bench-mark-2026", first_name="P"
                ),
                verified=True,
            )
            for n in range(PEOPLE)
        ]
        made = [
            await characters.create(
                session, runtime.models, owner=people[0], data=CharacterCreate(name=f"C{n}")
            )
            for n in range(CHARACTERS)
        ]
        return people, [c.id for c in made]


def spread(people: list[User], character_ids: list[str]) -> list[Scope]:
    """The load's scopes in turn: half the chunks in (first character, first person), the
    other half evenly over the other pairs."""
    pairs = [Scope(character_id=c, user_id=p.id) for c in character_ids for p in people]
    return [pairs[0]] * (len(pairs) - 1) + pairs[1:]


async def timed_searches(
    runtime: Runtime, user: User, character_id: str, queries: int, limit: int
) -> tuple[dict[str, list[float]], float]:
    """Latency per part for each query, and the mean number of memories returned."""
    sentences = Sentences(SEED + 1)  # the queries of retrieval_scale
    asked = list(dict.fromkeys(sentences.sentence(4, 10) for _ in range(queries)))
    embedder = runtime.models.embedder()
    await embedder.embed(["warm up"])  # start the runner and load the model outside the timings
    latency: dict[str, list[float]] = {part: [] for part in PARTS}
    vectors: dict[str, list[float]] = {}
    for query in asked:
        began = time.perf_counter()
        vectors[query] = (await embedder.embed([query]))[0]
        latency["embed"].append((time.perf_counter() - began) * 1000)
    given = Embedded(embedder.name, embedder.dimensions, vectors)
    index = Retrieval(runtime.db, lambda: given, runtime.vectors)

    async def search(query: str) -> int:
        async with runtime.db.unit_of_work() as session:
            found = await memory.search(
                session, index, user=user, character_id=character_id, query=query, limit=limit
            )
        return len(found.items)

    await search(asked[0])  # warm the connection pool and the statement caches
    returned = 0
    for query in asked:
        began = time.perf_counter()
        returned += await search(query)
        latency["search"].append((time.perf_counter() - began) * 1000)
    latency["total"] = [e + s for e, s in zip(latency["embed"], latency["search"], strict=True)]
    return latency, returned / len(asked)


async def measure(url: str, data_dir: Path, size: int, queries: int, limit: int) -> Measured:
    settings = Settings(database_url=url, data_dir=data_dir, log_level="WARNING")
    runtime = build_runtime(settings)
    out = Measured(size=size)
    try:
        people, character_ids = await people_and_characters(runtime)
        scopes = spread(people, character_ids)
        out.build_s, _ = await build(runtime, 2 * size, scopes, kind="message")
        out.latency, out.hits = await timed_searches(
            runtime, people[0], character_ids[0], queries, limit
        )
    finally:
        await runtime.close()
    return out


def run_backend(backend: str, sizes: list[int], queries: int, limit: int) -> list[Measured]:
    results = []
    with tempfile.TemporaryDirectory(prefix=f"memsearch-{backend}-") as tmp_name:
        tmp = Path(tmp_name)
        server = postgres_server(tmp / "pg") if backend == "postgres" else nullcontext(None)
        with server as create:
            for size in sizes:
                name = f"memsearch_{size}"
                url = create(name) if create else f"sqlite+aiosqlite:///{tmp}/{name}.db"
                runner.upgrade(url)
                data_dir = tmp / f"data_{size}"
                data_dir.mkdir()
                results.append(asyncio.run(measure(url, data_dir, size, queries, limit)))
                print(row(backend, results[-1]), flush=True)
    return results


HEADER = (
    f"{'backend':<9} {'memories':>8} {'chunks':>7} {'build s':>8}"
    + "".join(f" {f'{part} p{pct}':>10}" for part in PARTS for pct in (50, 95, 99))
    + f" {'hits':>5}"
)


def row(backend: str, m: Measured) -> str:
    cells = "".join(
        f" {percentile(m.latency[part], pct):>10.1f}" for part in PARTS for pct in (50, 95, 99)
    )
    return f"{backend:<9} {m.size:>8} {2 * m.size:>7} {m.build_s:>8.1f}{cells} {m.hits:>5.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--limit", type=int, default=50, help="the router's default")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(HEADER, flush=True)
    rows = [row(b, m) for b in backends for m in run_backend(b, sizes, args.queries, args.limit)]
    print("\n" + HEADER + "\n" + "-" * len(HEADER) + "\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
