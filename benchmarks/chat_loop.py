"""The chat loop against the model it calls: what Cognitia adds to a reply, with memory.

    python -m benchmarks.chat_loop [--messages 200] [--levels 1,20] [--memory on,off]
                                   [--backend sqlite|postgres] [--pause SECONDS]

Starts the fake upstream (OpenAI-compatible SSE; the 32-word reply sent at once, as in
issue 13's table) and `cognitia serve` on embedded defaults (SQLite, in-process jobs,
the bundled embedder in the model runner) with a catalogue model pointing at the fake.
At each concurrency level, N people each send messages to their own chat with
`POST /api/v2/chats/{id}/messages` (SSE); the same number of streaming completions go to
the upstream directly in the same run. Memory "off" runs the server with
COGNITIA_MEMORY__ENABLED=false (no recall, no indexing). `--backend postgres` puts the
database on the embedded PostgreSQL server (pgvector; a fresh database, migrated), the
rest unchanged: still one API process with in-process jobs. `--pause` waits that long
after each reply before the chat's next message, as a person reading and typing would:
the previous exchange's memory jobs then run in the pause rather than beside the next
reply (messages/s then counts the pauses too).

Columns: time to the first token and to the reply's completion (p50/p99, ms), messages
per second, the API process's peak RSS during the level, and how far memory indexing
was behind when the load stopped (seconds until the job backlog drained).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.overhead import REPLY, Target, cognitia_env, cognitia_key, one_request, process
from benchmarks.support import free_port, percentile, postgres_server, wait_http

CHAT_MODEL = "fake"


@dataclass
class Level:
    target: str
    memory: str
    concurrency: int
    ttft: list[float]
    total: list[float]
    seconds: float
    rss_mb: float = 0.0
    drain_s: float = 0.0

    @classmethod
    def of(  # noqa: PLR0913
        cls,
        target: str,
        memory: str,
        concurrency: int,
        timed: list[tuple[float, float]],
        seconds: float,
        rss_mb: float = 0.0,
        drain_s: float = 0.0,
    ) -> Level:
        ttft, total = [t[0] for t in timed], [t[1] for t in timed]
        return cls(target, memory, concurrency, ttft, total, seconds, rss_mb, drain_s)

    def row(self) -> str:
        rate = len(self.total) / self.seconds if self.seconds else 0.0
        rss = f"{self.rss_mb:.0f}" if self.rss_mb else "-"
        drain = f"{self.drain_s:.1f}" if self.target == "cognitia" else "-"
        return (
            f"{self.target:<9} {self.memory:>6} {self.concurrency:>5}"
            f" {statistics.median(self.ttft):>9.1f} {percentile(self.ttft, 99):>9.1f}"
            f" {statistics.median(self.total):>10.1f} {percentile(self.total, 99):>10.1f}"
            f" {rate:>7.1f} {rss:>7} {drain:>8}"
        )


HEADER = (
    f"{'target':<9} {'memory':>6} {'conc':>5} {'TTFT p50':>9} {'TTFT p99':>9}"
    f" {'total p50':>10} {'total p99':>10} {'msg/s':>7} {'RSS MB':>7} {'drain s':>8}"
)


def fake_upstream(port: int) -> list[str]:
    return [
        sys.executable, "-m", "tests.support.fake_upstream", "--port", str(port),
        "--reply", REPLY, "--token-delay", "0",
    ]  # fmt: skip


async def send(http: httpx.AsyncClient, chat_id: str, text: str) -> tuple[float, float]:
    """One message with SSE: (ms to the reply's first token, ms to its completion)."""
    started = time.perf_counter()
    first: float | None = None
    event = ""
    async with http.stream(
        "POST",
        f"/api/v2/chats/{chat_id}/messages",
        json={"content": text},
        headers={"Accept": "text/event-stream"},
    ) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "token" and first is None:
                first = time.perf_counter()
            elif line.startswith("data:") and event == "error":
                raise RuntimeError(f"reply failed: {line[5:].strip()}")
            elif line.startswith("data:") and event == "message_completed" and _reply(line):
                break
    done = time.perf_counter()
    return ((first or done) - started) * 1000, (done - started) * 1000


def _reply(data_line: str) -> bool:
    return bool(json.loads(data_line[5:])["message"]["author_type"] != "user")


async def make_chats(http: httpx.AsyncClient, count: int) -> list[str]:
    body = {"name": "Bench", "description": "A patient listener.", "model": CHAT_MODEL}
    character = (await http.post("/api/v2/characters", json=body)).raise_for_status().json()
    chats = []
    for i in range(count):
        created = await http.post(
            "/api/v2/chats", json={"title": f"bench {i}", "character_ids": [character["id"]]}
        )
        chats.append(created.raise_for_status().json()["id"])
    return chats


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def peak_rss(pid: int, stop: asyncio.Event) -> float:
    peak = 0.0
    while not stop.is_set():
        peak = max(peak, rss_mb(pid))
        await asyncio.sleep(0.2)
    return peak


async def backlog(http: httpx.AsyncClient) -> float:
    """Jobs queued or running, from /metrics (cognitia_jobs_backlog)."""
    text = (await http.get("/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("cognitia_jobs_backlog")
    )


async def drain_seconds(http: httpx.AsyncClient, limit: float = 600) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if await backlog(http) == 0:
            break
        await asyncio.sleep(0.5)
    return time.perf_counter() - started


async def cognitia_level(  # noqa: PLR0913 - the server and the load
    base: str, key: str, pid: int, concurrency: int, messages: int, pause: float
) -> tuple[list[tuple[float, float]], float, float, float]:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency + 4)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=300, limits=limits
    ) as http:
        chats = await make_chats(http, concurrency)
        await send(http, chats[0], "Hello there.")  # warm up
        per_chat = max(1, messages // concurrency)
        stop = asyncio.Event()
        watcher = asyncio.create_task(peak_rss(pid, stop))

        async def talk(chat_id: str) -> list[tuple[float, float]]:
            timed = []
            for i in range(per_chat):
                timed.append(await send(http, chat_id, f"Message {i} about my day."))
                await asyncio.sleep(pause)
            return timed

        started = time.perf_counter()
        results = await asyncio.gather(*(talk(c) for c in chats))
        seconds = time.perf_counter() - started
        stop.set()
        peak = await watcher
        drain = await drain_seconds(http)
    return [r for chat in results for r in chat], seconds, peak, drain


async def direct_level(
    url: str, concurrency: int, messages: int
) -> tuple[list[tuple[float, float]], float]:
    target = Target("direct", url, "fake-model", "x")
    limits = httpx.Limits(max_connections=concurrency + 4)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        await one_request(http, target)
        per_worker = max(1, messages // concurrency)

        async def worker() -> list[tuple[float, float]]:
            return [await one_request(http, target) for _ in range(per_worker)]

        started = time.perf_counter()
        results = await asyncio.gather(*(worker() for _ in range(concurrency)))
        return [r for w in results for r in w], time.perf_counter() - started


@contextmanager
def database(backend: str, tmp: Path) -> Iterator[dict[str, str]]:
    """The server's database settings: none for SQLite (a file in the data folder), or a
    fresh database on the embedded PostgreSQL server."""
    if backend == "sqlite":
        yield {}
        return
    with postgres_server(tmp / "pg") as create:
        yield {"COGNITIA_DATABASE_URL": create("chat_loop")}


def run_memory(
    memory: str, levels: list[int], messages: int, backend: str, pause: float
) -> list[Level]:
    rows: list[Level] = []
    up_port, cg_port = free_port(), free_port()
    with (
        tempfile.TemporaryDirectory() as tmp,
        process(fake_upstream(up_port)),
        database(backend, Path(tmp)) as settings,
    ):
        wait_http(f"http://127.0.0.1:{up_port}/v1/models")
        env = cognitia_env(Path(tmp), up_port) | settings
        env["COGNITIA_MEMORY__ENABLED"] = "true" if memory == "on" else "false"
        # Every lane on the fake, as with a hosted model: fact extraction and summaries
        # call it too (with the bundled model they would run SmolLM2 on the same cores).
        env["COGNITIA_LLM__DEFAULT_MODEL"] = CHAT_MODEL
        cognitia = str(Path(sys.executable).with_name("cognitia"))
        if settings:  # serve migrates SQLite by itself, PostgreSQL is migrated first
            subprocess.run([cognitia, "migrate"], env=env, check=True, capture_output=True)
        with process([cognitia, "serve", "--port", str(cg_port)], env=env) as proc:
            base = f"http://127.0.0.1:{cg_port}"
            wait_http(f"{base}/readyz", timeout=180)
            key = cognitia_key(base, env)
            for level in levels:
                direct_url = f"http://127.0.0.1:{up_port}/v1"
                timed, seconds = asyncio.run(direct_level(direct_url, level, messages))
                rows.append(Level.of("direct", memory, level, timed, seconds))
                timed, seconds, peak, drain = asyncio.run(
                    cognitia_level(base, key, proc.pid, level, messages, pause)
                )
                rows.append(Level.of("cognitia", memory, level, timed, seconds, peak, drain))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="messages per level")
    parser.add_argument("--levels", default="1,20")
    parser.add_argument("--memory", default="on,off")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between messages")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    rows = [
        row
        for memory in args.memory.split(",")
        for row in run_memory(memory, levels, args.messages, args.backend, args.pause)
    ]
    print(f"database: {args.backend}, pause between a chat's messages: {args.pause} s")
    print(HEADER)
    print("-" * len(HEADER))
    for level in rows:
        print(level.row())
    print("(ms; reply: 32 words sent at once; RSS: the API process, peak during the level)")


if __name__ == "__main__":
    main()
