"""What Cognitia adds over calling a model server directly (and what LiteLLM's proxy adds).

    python -m benchmarks.overhead [--requests 200] [--levels 1,50,200] [--no-litellm]

Starts three processes on 127.0.0.1: the fake upstream (OpenAI-compatible SSE, a fixed
reply streamed word by word), `cognitia serve` on embedded defaults with a catalogue model
pointing at the fake, and, where `.bench-venv/bin/litellm` exists (see docs/benchmarks.md),
LiteLLM's proxy pointing at the same fake. The same streaming chat completion is sent to
each at concurrency 1, 50 and 200; the table shows time to first token and total time,
p50 and p99, in milliseconds. The load generator shares the machine with the servers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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

from benchmarks.support import free_port, percentile, wait_http

ROOT = Path(__file__).resolve().parent.parent
REPLY = " ".join(f"word{i}" for i in range(32))
TOKEN_DELAY = 0.002
LITELLM = ROOT / ".bench-venv" / "bin" / "litellm"
LITELLM_KEY = "sk-benchmark-master-key-0123456789abcdef"


@dataclass
class Target:
    name: str
    url: str
    model: str
    key: str


@contextmanager
def process(
    cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def fake_upstream(port: int) -> list[str]:
    return [
        sys.executable, "-m", "tests.support.fake_upstream", "--port", str(port),
        "--reply", REPLY, "--token-delay", str(TOKEN_DELAY),
    ]  # fmt: skip


def cognitia_env(data: Path, upstream_port: int) -> dict[str, str]:
    catalogue = data / "models.toml"
    catalogue.write_text(
        f'[providers.fake]\ntype = "openai"\nbase_url = "http://127.0.0.1:{upstream_port}/v1"\n'
        'concurrency = 512\n\n[models.fake]\nprovider = "fake"\nupstream = "fake-model"\n'
        "context_window = 8192\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("COGNITIA_")}
    env.update(
        COGNITIA_DATA_DIR=str(data),
        COGNITIA_LLM__CATALOGUE_PATH=str(catalogue),
        COGNITIA_LOG_LEVEL="WARNING",
        COGNITIA_AUTH__ARGON2_MEMORY_KIB="1024",
    )
    return env


def cognitia_key(base: str, env: dict[str, str]) -> str:
    cognitia = str(Path(sys.executable).with_name("cognitia"))
    subprocess.run(
        [cognitia, "admin", "create-user", "bench@example.com", "--password", "BenchPass123"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    with httpx.Client(base_url=base) as http:
        login = http.post(
            "/api/v2/auth/login", json={"email": "bench@example.com", "password": "BenchPass123"}
        ).json()
        headers = {"Authorization": f"Bearer {login['access_token']}"}
        body = {"name": "bench", "current_password": "BenchPass123"}
        key: str = http.post("/api/v2/api-keys", json=body, headers=headers).json()["key"]
        return key


def litellm_config(path: Path, upstream_port: int) -> None:
    path.write_text(
        "model_list:\n  - model_name: fake\n    litellm_params:\n"
        "      model: openai/fake-model\n"
        f"      api_base: http://127.0.0.1:{upstream_port}/v1\n      api_key: unused\n"
    )


async def one_request(http: httpx.AsyncClient, target: Target) -> tuple[float, float]:
    body = {
        "model": target.model,
        "messages": [{"role": "user", "content": "Tell me something."}],
        "stream": True,
    }
    headers = {"Authorization": f"Bearer {target.key}"}
    started = time.perf_counter()
    first = None
    async with http.stream(
        "POST", f"{target.url}/chat/completions", json=body, headers=headers
    ) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if first is None and line.startswith("data: {"):
                chunk = json.loads(line[6:])
                if chunk.get("choices") and chunk["choices"][0]["delta"].get("content"):
                    first = time.perf_counter()
    total = time.perf_counter() - started
    return ((first or time.perf_counter()) - started) * 1000, total * 1000


async def run_level(target: Target, concurrency: int, requests: int) -> dict[str, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        await one_request(http, target)  # warm up
        semaphore = asyncio.Semaphore(concurrency)

        async def bounded() -> tuple[float, float]:
            async with semaphore:
                return await one_request(http, target)

        results = await asyncio.gather(*(bounded() for _ in range(requests)))
    ttft = [r[0] for r in results]
    total = [r[1] for r in results]
    return {
        "ttft_p50": statistics.median(ttft),
        "ttft_p99": percentile(ttft, 99),
        "total_p50": statistics.median(total),
        "total_p99": percentile(total, 99),
    }


def print_table(rows: list[tuple[str, int, dict[str, float]]]) -> None:
    header = (
        f"{'target':<10} {'conc':>5} {'TTFT p50':>9} {'TTFT p99':>9}"
        f" {'total p50':>10} {'total p99':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, concurrency, m in rows:
        print(
            f"{name:<10} {concurrency:>5} {m['ttft_p50']:>9.1f} {m['ttft_p99']:>9.1f}"
            f" {m['total_p50']:>10.1f} {m['total_p99']:>10.1f}"
        )
    print("(milliseconds; reply: 32 words streamed with 2 ms between words)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per level")
    parser.add_argument("--levels", default="1,50,200")
    parser.add_argument("--no-litellm", action="store_true")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    up_port, cg_port, ll_port = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp, process(fake_upstream(up_port)):
        data = Path(tmp)
        wait_http(f"http://127.0.0.1:{up_port}/v1/models")
        env = cognitia_env(data, up_port)
        cognitia = str(Path(sys.executable).with_name("cognitia"))
        targets = [Target("direct", f"http://127.0.0.1:{up_port}/v1", "fake-model", "x")]
        with process([cognitia, "serve", "--port", str(cg_port)], env=env):
            wait_http(f"http://127.0.0.1:{cg_port}/healthz")
            base = f"http://127.0.0.1:{cg_port}"
            targets.append(Target("cognitia", f"{base}/v1", "fake", cognitia_key(base, env)))
            with litellm(ll_port, up_port, data, enabled=not args.no_litellm) as proxy:
                if proxy:
                    targets.append(proxy)
                rows = [
                    (t.name, level, asyncio.run(run_level(t, level, max(args.requests, level))))
                    for level in levels
                    for t in targets
                ]
    print_table(rows)


@contextmanager
def litellm(port: int, upstream_port: int, data: Path, *, enabled: bool) -> Iterator[Target | None]:
    if not enabled or not LITELLM.exists():
        print(f"LiteLLM proxy not measured ({LITELLM} missing or disabled)", file=sys.stderr)
        yield None
        return
    config = data / "litellm.yaml"
    litellm_config(config, upstream_port)
    # Authenticated like Cognitia's side (a master key checked on every request).
    env = dict(
        os.environ,
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        LITELLM_LOG="ERROR",
        LITELLM_MASTER_KEY=LITELLM_KEY,
    )
    cmd = [str(LITELLM), "--config", str(config), "--port", str(port), "--num_workers", "1"]
    with process(cmd, env=env):
        wait_http(f"http://127.0.0.1:{port}/health/liveliness", timeout=180)
        yield Target("litellm", f"http://127.0.0.1:{port}/v1", "fake", LITELLM_KEY)


if __name__ == "__main__":
    main()
