"""all-MiniLM-L6-v2 on the real bundled weights, both engines (the float32 numpy pass and
the int8 ONNX graph), against sentence-transformers' vectors recorded in
data/minilm_reference.json (benchmarks/minilm_reference.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from cognitia.llm.embedders.minilm import MiniLM, _gelu, bundled_model_dir
from cognitia.llm.embedders.minilm_int8 import bundled_int8_file, load_int8

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"
# The lowest and the mean cosine to sentence-transformers each engine may give over the
# reference texts. int8 weights cost a little: measured 0.9963 at the lowest (the empty
# text), 0.9988 on average.
LOWEST = {"float32": 0.999, "int8": 0.995}
MEAN = {"float32": 0.9999, "int8": 0.998}


@pytest.fixture(scope="module", params=sorted(LOWEST))
def precision(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def minilm(precision: str) -> MiniLM:
    if precision == "int8":
        return load_int8(bundled_model_dir(), bundled_int8_file(), threads=1)
    return MiniLM.load(bundled_model_dir())


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data["texts"], np.array(data["vectors"], dtype=np.float64)


def test_matches_sentence_transformers(
    minilm: MiniLM, precision: str, reference: tuple[list[str], np.ndarray]
) -> None:
    texts, expected = reference

    vectors = minilm.encode(texts)

    cosines = (vectors * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
    assert cosines.min() >= LOWEST[precision]
    assert cosines.mean() >= MEAN[precision]


def test_gives_unit_float32_rows(minilm: MiniLM, reference: tuple[list[str], np.ndarray]) -> None:
    texts, _ = reference

    vectors = minilm.encode(texts)

    assert minilm.dimensions == 384
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("batch_size", [2, 32])
def test_keeps_the_input_order_across_sorted_batches(minilm: MiniLM, batch_size: int) -> None:
    # At 32, the five texts cut at 256 tokens share a batch that int8 runs in parts.
    texts = ["a much longer sentence about trains, rivers and distant cities", "hi", "", "cats"]
    texts += [f"word{i} " * 300 for i in range(5)] + ["The weather is nice today.", "?"]

    batched = minilm.encode(texts, batch_size=batch_size)

    one_by_one = np.concatenate([minilm.encode([text], batch_size=1) for text in texts])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


def test_empty_input_gives_no_rows(minilm: MiniLM) -> None:
    vectors = minilm.encode([])

    assert vectors.shape == (0, 384)
    assert vectors.dtype == np.float32


def test_similar_sentences_are_closer(minilm: MiniLM) -> None:
    cat, kitten, revenue = minilm.encode(
        ["A cat is sleeping on the sofa.", "A kitten naps on the couch.", "Revenue grew 10%."]
    )

    assert float(cat @ kitten) > float(cat @ revenue) + 0.3


def test_a_folder_without_a_model_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"not a sentence-transformers model.*config\.json"
    ) as info:
        MiniLM.load(tmp_path)

    assert str(tmp_path) in str(info.value)


def test_a_model_other_than_bert_is_rejected(tmp_path: Path) -> None:
    bundled = bundled_model_dir()
    for name in ("model.safetensors", "tokenizer.json"):
        (tmp_path / name).symlink_to(bundled / name)
    config = json.loads((bundled / "config.json").read_text()) | {"model_type": "gpt2"}
    (tmp_path / "config.json").write_text(json.dumps(config))

    with pytest.raises(ValueError, match="only BERT"):
        MiniLM.load(tmp_path)


def test_gelu_follows_erf() -> None:
    x = np.linspace(-10, 10, 20_001, dtype=np.float32)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.tolist()])

    _gelu(x)

    assert np.abs(x - exact).max() < 1e-6


def test_an_int8_file_other_than_the_pinned_one_is_refused(tmp_path: Path) -> None:
    changed = tmp_path / "model.onnx"
    changed.write_bytes(bundled_int8_file().read_bytes()[:-1] + b"\0")

    with pytest.raises(ValueError, match="not the pinned int8 model"):
        load_int8(bundled_model_dir(), changed, threads=1)
