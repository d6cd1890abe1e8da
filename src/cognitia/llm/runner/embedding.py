"""The local embedder inside the runner: all-MiniLM-L6-v2, int8 on ONNX Runtime
(minilm_int8.py) or a float32 numpy forward pass (minilm.py).

Forward passes run on worker threads (the runner's event loop stays free to stream tokens
and answer /health): one for replies' queries, one at lower priority for indexing;
requests that wait together share a pass (embed_queue.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from threadpoolctl import threadpool_limits

from cognitia.llm.catalogue import EmbedderConfig
from cognitia.llm.embedders.minilm import BUNDLED_MODEL, Floats, MiniLM, bundled_model_dir
from cognitia.llm.ports import ProviderRejected
from cognitia.llm.runner.embed_queue import EmbedQueue

log = logging.getLogger(__name__)


class LocalEmbedder:
    def __init__(self, name: str, config: EmbedderConfig) -> None:
        self.name = name
        self.config = config
        self.dimensions = config.dimensions
        self._model: MiniLM | None = None
        self._lock = asyncio.Lock()  # one load at a time
        self._queue = EmbedQueue(self._encode, max_texts=config.batch_size)

    async def load(self) -> None:
        async with self._lock:
            if self._model is None:
                self._model = await asyncio.to_thread(self._load)

    async def embed(self, texts: Sequence[str], *, background: bool = False) -> list[list[float]]:
        await self.load()
        return await self._queue.embed(texts, background=background)

    def _encode(self, texts: list[str]) -> Floats:
        assert self._model is not None  # loaded before anything is queued
        return self._model.encode(texts, batch_size=self.config.batch_size)

    async def close(self) -> None:
        self._queue.close()
        self._model = None

    def _load(self) -> MiniLM:
        # numpy's BLAS pool is the process's: the runner's only other native code,
        # llama.cpp, keeps threads of its own.
        threadpool_limits(limits=self.config.threads, user_api="blas")
        folder = self._folder()
        try:
            model = self._int8(folder) or MiniLM.load(folder)
        except ValueError as exc:
            raise ProviderRejected(f"embedder {self.name!r}: {exc}") from exc
        if model.dimensions != self.config.dimensions:
            raise ProviderRejected(
                f"embedder {self.name!r}: {folder.name} makes {model.dimensions}-dimensional"
                f" vectors, the catalogue says {self.config.dimensions}"
            )
        return model

    def _int8(self, folder: Path) -> MiniLM | None:
        """The bundled model on ONNX Runtime, when asked for and installed."""
        if self.config.upstream != BUNDLED_MODEL or self.config.precision != "int8":
            return None
        try:
            from cognitia.llm.embedders.minilm_int8 import bundled_int8_file, load_int8

            onnx_file = bundled_int8_file()
        except ImportError as exc:
            # Vectors within cosine 0.996 of int8's share its index: slower, not wrong.
            log.warning("embedder %r runs in float32: int8 engine unavailable (%s)", self.name, exc)
            return None
        return load_int8(folder, onnx_file, threads=self.config.threads)

    def _folder(self) -> Path:
        """The bundled model by its name, or any sentence-transformers BERT folder."""
        if self.config.upstream == BUNDLED_MODEL:
            return bundled_model_dir()
        folder = Path(self.config.upstream).expanduser()
        if not folder.is_dir():
            raise ProviderRejected(
                f"embedder {self.name!r}: {self.config.upstream!r} is neither "
                f"{BUNDLED_MODEL!r} nor a model folder"
            )
        return folder
