"""The local voice: how fast a sentence is spoken, how well and how fast speech is read back.

    python -m benchmarks.voice [--rounds 3] [--levels 1,2,4] [--parts speech,first,heard]
        [--words-per-second 30]

Starts `cognitia voice-runner` on a port (piper with en_US-joe-medium, Whisper tiny.en
int8, as `cognitia serve` runs them) and measures, over a fixed set of 12 sentences of 6 to
17 words (the first sentence of a reply, as a spoken reply sends it):

- speech: the time from a complete sentence to its whole audio (WAV and Ogg-Opus), the
  audio's length and the real-time factor; and espeak-ng (`--stdout`), the fallback voice.
- speech at 1, 2, 4 sentences at once (people talking at the same time): how the time to a
  sentence's audio grows, which is what bounds concurrent calls on these cores.
- transcription: each sentence spoken by piper, then by espeak-ng, sent to
  /v1/audio/transcriptions; latency, latency per second of audio, and the word error rate
  against the sentence (lower case, punctuation removed; Levenshtein over words).
- first audio (`first`): 10 reply openings whose first sentence has a clause, streamed
  word by word at --words-per-second (30: the bundled model's ~40 tokens/s through the
  chat API) into the chats' SentenceStream, once flushing at sentence ends only (before)
  and once with the first clause early (after, voice.first_clause_min_words = 4). The
  first chunk out goes to piper; the time to its audio is counted from the moment the
  first clause was complete (the issue's figure) and from the start of the reply. The
  stream's clock is simulated (the word times are exact; the splitter and piper are real).

Milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import statistics
import subprocess
import sys
import time
import wave
from pathlib import Path

import httpx

from benchmarks.overhead import process
from benchmarks.support import free_port, percentile, wait_http
from cognitia.chats.sentences import SentenceStream, first_clause

VOICE = "en_US-joe-medium"
SENTENCES = [
    "Hello there, it is good to see you again.",
    "The lighthouse keeper feeds seven cats every morning before dawn.",
    "I think we should take the long road through the valley.",
    "My sister plays the oboe in a small orchestra in Lisbon.",
    "Could you tell me more about the book you are reading?",
    "The weather was cold, but the market was full of people.",
    "We can meet at the station at half past six tomorrow.",
    "That sounds wonderful.",
    "Remember to water the plants while I am away next week.",
    "The train was late again, so I walked home along the river.",
    "What would you like to do this weekend if the sun comes out?",
    "Thank you for listening to me today, it really helped a lot.",
]


# Reply openings with a clause before the end of the first sentence.
OPENINGS = [
    "Well, I have been thinking about what you said yesterday, and I think you are right.",
    "Honestly, that is the best news I have heard all week, so thank you for telling me.",
    "If you want to come along tomorrow, we could leave early and take the coastal road.",
    "The old bridge is closed for repairs this month, so we will have to go around it.",
    "When I was younger I climbed that hill every summer, and the view never got old.",
    "Of course I remember her, she was the one who taught me how to sail a boat.",
    "I am not sure about that plan; the weather looks uncertain for the whole weekend.",
    "My answer is simple: we finish the work first and celebrate together afterwards.",
    "That was a long day at the harbour, but the boats all came back safely at dusk.",
    "Give me a minute to find the map — I know the path is marked on it somewhere.",
]
FIRST_CLAUSE_MIN_WORDS = 4


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


def word_errors(reference: str, heard: str) -> tuple[int, int]:
    """(edits, reference words): substitutions, deletions and insertions over words."""
    ref, hyp = words(reference), words(heard)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[len(hyp)], len(ref)


def seconds_of(wav: bytes) -> float:
    """From the samples present: espeak-ng writing to a pipe leaves the header's sizes unset."""
    with wave.open(io.BytesIO(wav)) as w:
        frame = w.getsampwidth() * w.getnchannels()
        return len(w.readframes(2**31 - 1)) / frame / w.getframerate()


async def speak(http: httpx.AsyncClient, text: str, fmt: str = "wav") -> tuple[float, bytes]:
    began = time.perf_counter()
    body = {"model": "piper", "input": text, "voice": VOICE, "response_format": fmt}
    response = (await http.post("/v1/audio/speech", json=body)).raise_for_status()
    return (time.perf_counter() - began) * 1000, response.content


def espeak(text: str) -> tuple[float, bytes]:
    began = time.perf_counter()
    done = subprocess.run(["espeak-ng", "--stdout", text], capture_output=True, check=True)
    return (time.perf_counter() - began) * 1000, done.stdout


async def transcribe(http: httpx.AsyncClient, wav: bytes) -> tuple[float, str]:
    began = time.perf_counter()
    files = {"file": ("speech.wav", wav, "audio/wav")}
    data = {"model": "whisper-1", "language": "en", "response_format": "json"}
    response = await http.post("/v1/audio/transcriptions", files=files, data=data)
    return (time.perf_counter() - began) * 1000, str(response.raise_for_status().json()["text"])


def row(name: str, values: list[float], extra: str = "") -> str:
    return (
        f"{name:<34} {statistics.median(values):>8.1f} {percentile(values, 95):>8.1f}"
        f" {max(values):>8.1f}  {extra}"
    )


async def speech_rows(http: httpx.AsyncClient, rounds: int) -> tuple[list[str], list[bytes]]:
    await speak(http, "Warming up.")
    rows, wavs = [], []
    for fmt in ("wav", "ogg"):
        times, audio_s = [], []
        for _ in range(rounds):
            for text in SENTENCES:
                ms, data = await speak(http, text, fmt)
                times.append(ms)
                if fmt == "wav":
                    audio_s.append(seconds_of(data))
                    wavs.append(data)
        extra = ""
        if audio_s:
            rtf = sum(times) / 1000 / sum(audio_s)
            extra = f"audio {statistics.median(audio_s):.2f} s p50, real-time factor {rtf:.3f}"
        rows.append(row(f"piper sentence -> {fmt}", times, extra))
    spoken = [espeak(text) for _ in range(rounds) for text in SENTENCES]
    rows.append(row("espeak-ng sentence -> wav", [ms for ms, _ in spoken]))
    return rows, wavs[: len(SENTENCES)]


async def concurrent_rows(http: httpx.AsyncClient, levels: list[int], rounds: int) -> list[str]:
    rows = []
    for level in levels:
        times: list[float] = []
        for r in range(rounds):
            batch = [SENTENCES[(r * level + i) % len(SENTENCES)] for i in range(level)]
            done = await asyncio.gather(*(speak(http, text) for text in batch))
            times.extend(ms for ms, _ in done)
        rows.append(row(f"piper, {level} sentence(s) at once", times))
    return rows


async def transcription_rows(http: httpx.AsyncClient, piper_wavs: list[bytes]) -> list[str]:
    await transcribe(http, piper_wavs[0])  # warm up
    rows = []
    sources = {"piper": piper_wavs, "espeak-ng": [espeak(text)[1] for text in SENTENCES]}
    for name, wavs in sources.items():
        times, per_second, edits, total = [], [], 0, 0
        for text, wav in zip(SENTENCES, wavs, strict=True):
            ms, heard = await transcribe(http, wav)
            times.append(ms)
            per_second.append(ms / seconds_of(wav))
            errors, count = word_errors(text, heard)
            edits, total = edits + errors, total + count
        wer = f"WER {100 * edits / total:.1f} % ({edits}/{total} words)"
        rows.append(row(f"whisper tiny.en, {name} speech", times, wer))
        rows.append(row(f"  ... per second of audio ({name})", per_second))
    return rows


def first_chunk(text: str, min_words: int) -> tuple[int, int, str]:
    """Streamed word by word: (words in when the first clause was complete, words in when
    the first chunk came out, the chunk)."""
    pieces = re.findall(r"\s*\S+", text)
    clause_at = next(
        i
        for i in range(1, len(pieces) + 1)
        if first_clause("".join(pieces[:i]), FIRST_CLAUSE_MIN_WORDS)
    )
    stream = SentenceStream(first_clause_min_words=min_words)
    for at, piece in enumerate(pieces, 1):
        if out := stream.feed(piece):
            return clause_at, at, out[0]
    return clause_at, len(pieces), stream.close()[0]


async def first_audio_rows(http: httpx.AsyncClient, rounds: int, rate: float) -> list[str]:
    """Time to first audio, sentences only (before) against the first clause early (after)."""
    await speak(http, "Warming up.")
    rows = []
    for name, min_words in (("sentences", 0), ("clause early", FIRST_CLAUSE_MIN_WORDS)):
        after_clause, from_start, chunk_words = [], [], []
        for _ in range(rounds):
            for text in OPENINGS:
                clause_at, out_at, chunk = first_chunk(text, min_words)
                ms, _ = await speak(http, chunk)
                audio_at = out_at / rate * 1000 + ms
                after_clause.append(audio_at - clause_at / rate * 1000)
                from_start.append(audio_at)
                chunk_words.append(len(chunk.split()))
        words_p50 = statistics.median(chunk_words)
        rows.append(row(f"{name}: after first clause", after_clause))
        rows.append(row(f"{name}: from reply start", from_start, f"chunk {words_p50:.0f} words"))
    return rows


async def measure(
    base: str, rounds: int, levels: list[int], parts: set[str], rate: float
) -> list[str]:
    rows: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=300) as http:
        wavs: list[bytes] = []
        if "speech" in parts or "heard" in parts:
            speech, wavs = await speech_rows(http, rounds)
            rows += speech if "speech" in parts else []
        if "speech" in parts:
            rows += await concurrent_rows(http, levels, rounds * 4)
        if "first" in parts:
            rows += await first_audio_rows(http, rounds, rate)
        if "heard" in parts:
            rows += await transcription_rows(http, wavs)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--levels", default="1,2,4")
    parser.add_argument("--parts", default="speech,first,heard")
    parser.add_argument("--words-per-second", type=float, default=30.0)
    args = parser.parse_args()
    port = free_port()
    cognitia = str(Path(sys.executable).with_name("cognitia"))
    command = [cognitia, "voice-runner", "--host", "127.0.0.1", "--port", str(port)]
    with process(command):
        wait_http(f"http://127.0.0.1:{port}/health", timeout=180)
        levels = [int(x) for x in args.levels.split(",")]
        parts = set(args.parts.split(","))
        base = f"http://127.0.0.1:{port}"
        rows = asyncio.run(measure(base, args.rounds, levels, parts, args.words_per_second))
    header = f"{'':<34} {'p50':>8} {'p95':>8} {'max':>8}"
    print(header + "\n" + "-" * len(header) + "\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
