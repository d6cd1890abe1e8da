"""A live call's round trip: from the end of the person's speech to the reply's first audio.

    python -m benchmarks.voice_call [--rounds 8] [--levels 1,2,4] [--silence-ms 500]
                                    [--early-ms 200,0]

Starts the fake upstream (a reply of two short sentences sent at once: a model that
answers at once) and `cognitia serve` with the local voice (its own voice runner: piper's
en_US-joe-medium, Whisper tiny.en, Silero VAD; memory off, so no embedder loads). Each
simulated person opens a call (WebSocket /api/v2/chats/{id}/call) to a chat of their own
and, for each round, speaks an espeak-ng sentence as a browser does: 20 ms PCM frames at
real-time pace, then silence at the same pace until the reply's first audio frame comes.

Measured from the last frame that holds speech (ms, p50/p95 over all rounds of a level):
speech.stopped (the endpointing: VAD plus the silence threshold), transcript (Whisper),
reply.started, and the first audio (piper's first clause): the round trip. The levels run
1, 2, 4 ... calls at once; a level whose p50 round trip is twice level 1's is the last.
Each `--early-ms` value is a server of its own (voice.call.early_transcription_ms; 0: the
transcription starts only once the turn has ended).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from tests.support.calls import quiet, spoken_pcm
from websockets.asyncio.client import ClientConnection, connect

from benchmarks.overhead import cognitia_env, cognitia_key, process
from benchmarks.support import free_port, percentile, wait_http

REPLY = "Sure, let us cook pasta. I will bring the basil."
QUESTION = "What should we cook for dinner tonight?"
FRAME = 640  # 20 ms of 16 kHz s16le
FRAME_SECONDS = 0.02
MARKS = ("speech.stopped", "transcript", "reply.started", "audio")


@dataclass
class Level:
    early_ms: int
    calls: int
    rounds: list[dict[str, float]]

    def stat(self, mark: str, pct: float) -> float:
        return percentile([r[mark] for r in self.rounds], pct)

    def row(self) -> str:
        cells = [f"{self.early_ms:>5}", f"{self.calls:>5}", f"{len(self.rounds):>6}"]
        cells += [f"{self.stat(m, 50):>7.0f} {self.stat(m, 95):>7.0f}" for m in MARKS]
        return " ".join(cells)


HEADER = "calls rounds  stopped p50/p95   transcript      reply.started   first audio (round trip)"


async def paced(ws: ClientConnection, pcm: bytes, clock: float) -> float:
    """Send `pcm` as 20 ms frames at real-time pace from `clock`; the clock after it."""
    for at in range(0, len(pcm), FRAME):
        clock += FRAME_SECONDS
        await asyncio.sleep(max(0.0, clock - time.perf_counter()))
        await ws.send(pcm[at : at + FRAME])
    return clock


def trimmed(pcm: bytes, floor: int = 300) -> bytes:
    """Without the near-silence espeak-ng puts around the words: the last frame sent is
    the end of the speech itself."""
    samples = np.frombuffer(pcm, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > floor)
    return samples[loud[0] : loud[-1] + 1].tobytes() if len(loud) else pcm


async def drain_to_done(ws: ClientConnection) -> None:
    while True:
        message = await ws.recv()
        if isinstance(message, str) and json.loads(message)["type"] == "reply.done":
            return


async def person(base: str, key: str, chat_id: str, speech: bytes, rounds: int) -> list[dict]:
    url = base.replace("http://", "ws://") + f"/api/v2/chats/{chat_id}/call"
    results = []
    async with connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "start", "token": key}))
        assert json.loads(await ws.recv())["type"] == "ready"
        for _ in range(rounds):
            results.append(await timed_round(ws, speech))
    return results


async def timed_round(ws: ClientConnection, speech: bytes) -> dict[str, float]:
    clock = await paced(ws, speech, time.perf_counter())
    ended = time.perf_counter()
    silence = asyncio.create_task(paced(ws, quiet(10.0), clock))
    marks: dict[str, float] = {}
    try:
        while "audio" not in marks:
            message = await ws.recv()
            now = (time.perf_counter() - ended) * 1000
            if isinstance(message, bytes):
                marks["audio"] = now
            elif (kind := json.loads(message)["type"]) in MARKS:
                marks.setdefault(kind, now)
        await drain_to_done(ws)
    finally:
        silence.cancel()
    return marks


async def chats(base: str, key: str, count: int) -> list[str]:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        made = []
        for n in range(count):
            character = await http.post("/api/v2/characters", json={"name": f"Cook {n}"})
            character.raise_for_status()
            body = {"title": f"call {n}", "character_ids": [character.json()["id"]]}
            chat = await http.post("/api/v2/chats", json=body)
            chat.raise_for_status()
            made.append(chat.json()["id"])
        return made


async def level(  # noqa: PLR0913 - the server, the load and the speech
    base: str, key: str, early_ms: int, calls: int, speech: bytes, rounds: int
) -> Level:
    ids = await chats(base, key, calls)
    results = await asyncio.gather(*(person(base, key, c, speech, rounds) for c in ids))
    return Level(early_ms, calls, [r for one in results for r in one])


def run(levels: list[int], rounds: int, silence_ms: int, early_ms: int) -> list[Level]:
    rows: list[Level] = []
    up_port, cg_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        speech = trimmed(spoken_pcm(Path(tmp), QUESTION))
        upstream = [sys.executable, "-m", "tests.support.fake_upstream", "--port", str(up_port)]
        with process([*upstream, "--reply", REPLY]):
            wait_http(f"http://127.0.0.1:{up_port}/v1/models")
            env = cognitia_env(Path(tmp), up_port)
            env.update(
                COGNITIA_LLM__DEFAULT_MODEL="fake",
                COGNITIA_MEMORY__ENABLED="false",
                COGNITIA_VOICE__CALL__SILENCE_MS=str(silence_ms),
                COGNITIA_VOICE__CALL__EARLY_TRANSCRIPTION_MS=str(early_ms),
                COGNITIA_VOICE__CALL__MAX_CALLS_PER_USER="64",
                COGNITIA_VOICE__CALL__MAX_CALLS="64",
            )
            cognitia = str(Path(sys.executable).with_name("cognitia"))
            with process([cognitia, "serve", "--port", str(cg_port)], env=env):
                base = f"http://127.0.0.1:{cg_port}"
                wait_http(f"{base}/readyz", timeout=180)
                key = cognitia_key(base, env)
                asyncio.run(level(base, key, early_ms, 1, speech, 1))  # warm up
                for calls in levels:
                    rows.append(asyncio.run(level(base, key, early_ms, calls, speech, rounds)))
                    if rows[-1].stat("audio", 50) >= 2 * rows[0].stat("audio", 50):
                        break
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="turns per call")
    parser.add_argument("--levels", default="1,2,4")
    parser.add_argument("--silence-ms", type=int, default=500)
    parser.add_argument("--early-ms", default="200,0")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    rows = [
        row
        for early in args.early_ms.split(",")
        for row in run(levels, args.rounds, args.silence_ms, int(early))
    ]
    print(HEADER)
    print("-" * len(HEADER))
    for row in rows:
        print(row.row())
    print(
        f"(ms after the last frame with speech; silence threshold {args.silence_ms} ms;"
        " early: the pause that starts transcribing, 0 = off)"
    )


if __name__ == "__main__":
    main()
