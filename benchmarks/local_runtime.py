"""The bundled model through the whole product, against llama.cpp called directly.

`cognitia serve` runs on embedded defaults (SQLite, SmolLM2 and MiniLM in the model
runner, a process of its own). Measured:

- RSS of the API process after start-up and after the first reply, and of the runner;
- first token (TTFT) and tokens/s of a reply through POST /api/v2/chats/{id}/messages,
  warm, against llama-cpp-python in this process with a prompt of the same token count
  (same GGUF, same context size, same length of reply, runs alternating);
- crash recovery: SIGKILL of the runner to /readyz answering 200, and to the first token
  of the next reply.

Each measurement starts when the runner has been idle for a moment (memory extraction after
a reply runs on the same model). Run it on a quiet machine: both sides share its cores.

    python -m benchmarks.local_runtime [--runs 5] [--max-tokens 64]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from httpx_sse import connect_sse
from llama_cpp import Llama
from tests.support.processes import child_running

from benchmarks.support import free_port
from cognitia.llm.runner.llama import bundled_model_path

PASSWORD = "SecurePass123"
N_CTX = 2048


@dataclass(frozen=True)
class Reply:
    ttft: float  # seconds from sending to the first token
    tokens: int
    decode_seconds: float  # first token to last
    prompt_tokens: int
    started: float  # perf_counter() when the request was sent

    @property
    def tokens_per_second(self) -> float:
        return (self.tokens - 1) / self.decode_seconds if self.decode_seconds else 0.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def runner_pid(parent: int) -> int:
    return child_running(parent, b"model-runner")


def wait_idle(server: int, quiet_seconds: float = 1.5, timeout: float = 120) -> None:
    """Until the runner has generated nothing for a while: memory extraction after a reply
    runs on the same model, and would otherwise fall into the next measurement."""
    cmdline = Path(f"/proc/{runner_pid(server)}/cmdline").read_bytes().split(b"\0")
    socket = cmdline[cmdline.index(b"--uds") + 1].decode()
    transport = httpx.HTTPTransport(uds=socket)
    quiet_since, deadline = time.monotonic(), time.monotonic() + timeout
    with httpx.Client(transport=transport, base_url="http://runner") as runner:
        while time.monotonic() - quiet_since < quiet_seconds and time.monotonic() < deadline:
            if runner.get("/health").json()["generating"]:
                quiet_since = time.monotonic()
            time.sleep(0.1)


def wait_ready(base: str, timeout: float = 180) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the server did not become ready")


def start_server(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COGNITIA_")}
    env |= {
        "COGNITIA_DATA_DIR": str(folder / "data"),
        "COGNITIA_HTTP__WEB_UI": "false",
        "COGNITIA_LOG_LEVEL": "WARNING",
    }
    cognitia = str(Path(sys.executable).with_name("cognitia"))
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen(
        [cognitia, "serve", "--port", str(port)], cwd=folder, env=env, stdout=log, stderr=log
    )
    return process, f"http://127.0.0.1:{port}"


def signed_in(base: str, max_tokens: int) -> tuple[httpx.Client, str]:
    account = {"email": "bench@example.com", "password": PASSWORD, "first_name": "Ana"}
    httpx.post(f"{base}/api/v2/auth/register", json=account).raise_for_status()
    credentials = {"email": account["email"], "password": PASSWORD}
    login = httpx.post(f"{base}/api/v2/auth/login", json=credentials)
    token = login.json()["access_token"]
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300)
    character = client.post(
        "/api/v2/characters",
        json={"name": "Mira", "description": "A cheerful librarian.", "max_tokens": max_tokens},
    )
    character.raise_for_status()
    chat = client.post("/api/v2/chats", json={"character_ids": [character.json()["id"]]})
    chat.raise_for_status()
    return client, chat.json()["id"]


def through_cognitia(client: httpx.Client, chat_id: str, text: str) -> Reply:
    start = time.perf_counter()
    times: list[float] = []
    prompt_tokens = 0
    url = f"/api/v2/chats/{chat_id}/messages"
    with connect_sse(client, "POST", url, json={"content": text}) as source:
        for sse in source.iter_sse():
            if sse.event == "token":
                times.append(time.perf_counter())
            elif sse.event == "message.completed":
                prompt_tokens = int(json.loads(sse.data)["usage"]["prompt_tokens"])
    if not times:
        raise RuntimeError("the reply had no tokens")
    return Reply(times[0] - start, len(times), times[-1] - times[0], prompt_tokens, start)


def direct(llama: Llama, filler: str, text: str, max_tokens: int) -> Reply:
    messages = [{"role": "system", "content": filler}, {"role": "user", "content": text}]
    start = time.perf_counter()
    times: list[float] = []
    for chunk in llama.create_chat_completion(messages, stream=True, max_tokens=max_tokens):  # type: ignore[arg-type]
        if chunk["choices"][0]["delta"].get("content"):  # type: ignore[index]
            times.append(time.perf_counter())
    return Reply(times[0] - start, len(times), times[-1] - times[0], 0, start)


def filler_of(llama: Llama, tokens: int) -> str:
    """A system prompt that makes the direct prompt as long as the chat path's."""
    words: list[str] = []
    while len(llama.tokenize(" ".join(words).encode())) < tokens - 20:
        words.append("librarian")
    return " ".join(words)


def medians(replies: list[Reply]) -> tuple[float, float]:
    ttft = statistics.median(r.ttft for r in replies) * 1000
    return ttft, statistics.median(r.tokens_per_second for r in replies)


def table(rows: Iterator[tuple[str, str]]) -> None:
    for name, value in rows:
        print(f"{name:<58}{value:>14}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        process, base = start_server(Path(folder))
        try:
            measure(process, base, args.runs, args.max_tokens)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)


def measure(process: subprocess.Popen[bytes], base: str, runs: int, max_tokens: int) -> None:
    boot = wait_ready(base)
    rss_start, runner_start = rss_mb(process.pid), rss_mb(runner_pid(process.pid))
    client, chat_id = signed_in(base, max_tokens)
    first = through_cognitia(client, chat_id, "Hello! What are you reading?")
    rss_first = rss_mb(process.pid)
    llama = Llama(model_path=bundled_model_path(), n_ctx=N_CTX, verbose=False)
    filler = filler_of(llama, first.prompt_tokens)
    ours, theirs = [], []
    for run in range(runs):
        wait_idle(process.pid)
        ours.append(through_cognitia(client, chat_id, f"Tell me about book number {run}."))
        wait_idle(process.pid)
        theirs.append(direct(llama, filler, f"Tell me about book number {run}.", max_tokens))
    llama.close()
    wait_idle(process.pid)
    recovery = crash_recovery(process.pid, base, client, chat_id)
    (our_ttft, our_tps), (direct_ttft, direct_tps) = medians(ours), medians(theirs)
    print(f"cognitia serve, bundled SmolLM2 in the model runner; {runs} warm replies of up to")
    print(f"{max_tokens} tokens, prompt ~{ours[-1].prompt_tokens} tokens; medians\n")
    table(
        iter(
            [
                ("start-up to /readyz 200 (s)", f"{boot:.1f}"),
                ("API process RSS after start-up (MB)", f"{rss_start:.0f}"),
                ("API process RSS after the first reply (MB)", f"{rss_first:.0f}"),
                ("model runner RSS after start-up (MB)", f"{runner_start:.0f}"),
                ("TTFT via /api/v2/chats/{id}/messages (ms)", f"{our_ttft:.0f}"),
                ("TTFT llama.cpp direct, same prompt length (ms)", f"{direct_ttft:.0f}"),
                ("TTFT overhead", f"{(our_ttft / direct_ttft - 1) * 100:+.0f}%"),
                ("tokens/s via the chat API", f"{our_tps:.1f}"),
                ("tokens/s llama.cpp direct", f"{direct_tps:.1f}"),
                ("tokens/s difference", f"{(our_tps / direct_tps - 1) * 100:+.0f}%"),
                ("SIGKILL of the runner to /readyz 200 (s)", f"{recovery[0]:.2f}"),
                ("SIGKILL of the runner to the next reply's first token (s)", f"{recovery[1]:.2f}"),
            ]
        )
    )


def crash_recovery(
    server: int, base: str, client: httpx.Client, chat_id: str
) -> tuple[float, float]:
    """Seconds from SIGKILL to /readyz 200, and (a second kill) to the next first token."""
    os.kill(runner_pid(server), signal.SIGKILL)
    time.sleep(0.05)  # the supervisor sees the death; /readyz says 503 until the restart
    ready = wait_ready(base) + 0.05
    os.kill(runner_pid(server), signal.SIGKILL)
    killed = time.perf_counter()
    reply = through_cognitia(client, chat_id, "Are you still there?")  # sent at once
    return ready, reply.started - killed + reply.ttft


if __name__ == "__main__":
    main()
