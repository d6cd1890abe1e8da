"""The local embedder inside the runner: all-MiniLM-L6-v2 as a numpy forward pass.

One forward pass at a time on a worker thread: numpy's BLAS already spreads a batch over
every core, and the runner's event loop stays free to stream tokens and answer /health.
Requests that arrive together share a pass, and a reply's query goes before background
indexing (embed_queue.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from cognitia.llm.catalogue import EmbedderConfig
from cognitia.llm.embedders.minilm import BUNDLED_MODEL, Floats, MiniLM, bundled_model_dir
from cognitia.llm.ports import ProviderRejected
from cognitia.llm.runner.embed_queue import EmbedQueue


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
        self._model = None

    def _load(self) -> MiniLM:
        folder = self._folder()
        try:
            model = MiniLM.load(folder)
        except ValueError as exc:
            raise ProviderRejected(f"embedder {self.name!r}: {exc}") from exc
        if model.dimensions != self.config.dimensions:
            raise ProviderRejected(
                f"embedder {self.name!r}: {folder.name} makes {model.dimensions}-dimensional"
                f" vectors, the catalogue says {self.config.dimensions}"
            )
        return model

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
