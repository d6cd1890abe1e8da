"""Ingesting one large text document while the server is polled.

`cognitia serve` runs on embedded defaults (SQLite, MiniLM in the model runner). One text
document is uploaded to the data bank (`POST /api/v2/documents`) and ingested by the
in-process job runner, while a second thread polls `GET /health` and the document (a
database read) and samples the API process's memory. Measured: the upload's response
time, the ingestion's time from the upload to `ready`, chunks per second, the slowest
answers to the polls and any 5xx among them, and the API process's RSS at the start and
its peak (VmHWM).

Two texts: `words` is what the outside probe sent, "word " repeated in one paragraph with
no sentence end (its chunks are all alike, so the embedder sees a handful of distinct
texts); `prose` is made-up sentences and paragraphs from a fixed seed, every chunk
different, so it measures the embedder's rate.

    python benchmarks/ingestion.py [--mib 20] [--text words|prose] [--give-up-after 1800]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script or a module

from benchmarks.support import free_port, percentile, wait_http

PASSWORD = "SecurePass123"
POLL_SECONDS = 0.05


def words_text(size: int) -> bytes:
    return (b"word " * (size // 5 + 1))[:size]


def prose_text(size: int, seed: int = 7) -> bytes:
    """Sentences of 6 to 24 made-up words, 3 to 8 to a paragraph, until `size` bytes."""
    rng = random.Random(seed)
    vocabulary = [
        "".join(rng.choices("etaoinshrdlucmfwyp", k=rng.randint(2, 9))) for _ in range(5000)
    ]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    paragraphs: list[str] = []
    length = 0
    while length < size:
        sentences = []
        for _ in range(rng.randint(3, 8)):
            words = rng.choices(vocabulary, weights, k=rng.randint(6, 24))
            sentences.append(" ".join(words).capitalize() + ".")
        paragraphs.append(" ".join(sentences))
        length += len(paragraphs[-1]) + 2
    return "\n\n".join(paragraphs).encode()[:size]


@dataclass
class Polls:
    health: list[float] = field(default_factory=list)
    document: list[float] = field(default_factory=list)
    errors: int = 0
    peak_sampled_rss_mb: float = 0.0
    status: str = "queued"
    progress: int = 0


def rss_mb(pid: int, field_name: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def poll(base: httpx.Client, pid: int, url: str, polls: Polls, stop: threading.Event) -> None:
    """/health and the document (when `url`) in turn until `stop`; latencies and 5xx kept."""
    targets = [("/health", polls.health)] + ([(url, polls.document)] if url else [])
    with httpx.Client(base_url=base.base_url, headers=base.headers, timeout=600) as client:
        while not stop.is_set():
            for target, latencies in targets:
                started = time.perf_counter()
                response = client.get(target)
                latencies.append(time.perf_counter() - started)
                polls.errors += response.status_code >= 500
                if target == url and response.status_code == 200:
                    polls.status = response.json()["status"]
                    polls.progress = response.json()["progress"]
            polls.peak_sampled_rss_mb = max(polls.peak_sampled_rss_mb, rss_mb(pid))
            time.sleep(POLL_SECONDS)


class Poller:
    """`poll` in a thread, for the length of a `with` block."""

    def __init__(self, client: httpx.Client, pid: int, url: str, polls: Polls) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=poll, args=(client, pid, url, polls, self.stop))

    def __enter__(self) -> Poller:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()


def start_server(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COGNITIA_")}
    env |= {"COGNITIA_DATA_DIR": str(folder / "data"), "COGNITIA_HTTP__WEB_UI": "false"}
    env["COGNITIA_LOG_LEVEL"] = "WARNING"
    log = (folder / "serve.log").open("wb")
    command = [str(Path(sys.executable).with_name("cognitia")), "serve", "--port", str(port)]
    process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=log)
    return process, f"http://127.0.0.1:{port}"


def signed_in(base: str) -> httpx.Client:
    account = {"email": "bench@example.com", "password": PASSWORD, "first_name": "Ana"}
    httpx.post(f"{base}/api/v2/auth/register", json=account).raise_for_status()
    login = httpx.post(
        f"{base}/api/v2/auth/login", json={k: account[k] for k in ("email", "password")}
    )
    token = login.raise_for_status().json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600)


@dataclass
class Run:
    upload_s: float = 0.0
    ingest_s: float = 0.0
    chunks: int = 0
    rss_start_mb: float = 0.0
    rss_peak_mb: float = 0.0


def measure(
    process: subprocess.Popen[bytes], base: str, data: bytes, give_up: float
) -> tuple[Run, Polls]:
    """Upload `data` while /health is polled, then wait for `ready` while the document is too."""
    wait_http(f"{base}/readyz", timeout=300)
    client, run, polls = signed_in(base), Run(), Polls()
    run.rss_start_mb = rss_mb(process.pid)
    started = time.perf_counter()
    with Poller(client, process.pid, "", polls):
        created = client.post("/api/v2/documents", files={"file": ("big.txt", data, "text/plain")})
    run.upload_s = time.perf_counter() - started
    url = f"/api/v2/documents/{created.raise_for_status().json()['id']}"
    with Poller(client, process.pid, url, polls):
        while polls.status not in ("ready", "failed") and time.perf_counter() - started < give_up:
            time.sleep(0.5)
    run.ingest_s = time.perf_counter() - started
    run.chunks = client.get(url).json()["chunk_count"]
    run.rss_peak_mb = rss_mb(process.pid, "VmHWM")
    return run, polls


def table(data: bytes, run: Run, polls: Polls) -> dict[str, str]:
    ready = polls.status == "ready"

    def ms(values: list[float]) -> str:
        return f"{max(values) * 1000:.0f} / {percentile(values, 99) * 1000:.0f}"

    return {
        "document": f"{len(data) / 2**20:.1f} MiB",
        "status at the end": f"{polls.status} ({polls.progress} %)",
        "upload answered (s)": f"{run.upload_s:.1f}",
        "upload to ready (s)": f"{run.ingest_s:.0f}" if ready else f"> {run.ingest_s:.0f}",
        "chunks": str(run.chunks),
        "chunks/s": f"{run.chunks / run.ingest_s:.1f}" if ready else "-",
        "GET /health max / p99 (ms)": ms(polls.health),
        "GET document max / p99 (ms)": ms(polls.document),
        "5xx answers": str(polls.errors),
        "API RSS start / peak (MiB)": f"{run.rss_start_mb:.0f} / {run.rss_peak_mb:.0f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=float, default=20.0)
    parser.add_argument("--text", choices=["words", "prose"], default="words")
    parser.add_argument("--give-up-after", type=float, default=1800, help="seconds")
    args = parser.parse_args()
    size = int(args.mib * 2**20)
    data = words_text(size) if args.text == "words" else prose_text(size)
    with tempfile.TemporaryDirectory() as folder:
        process, base = start_server(Path(folder))
        try:
            run, polls = measure(process, base, data, args.give_up_after)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
    print(f"one {args.text!r} text document through cognitia serve (SQLite, MiniLM in the runner)")
    for name, value in table(data, run, polls).items():
        print(f"{name:<32}{value:>24}")


if __name__ == "__main__":
    main()
