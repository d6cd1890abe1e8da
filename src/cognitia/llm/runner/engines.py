"""What one runner holds: a LocalLlama per local provider and a LocalEmbedder per local
embedder of the catalogue, all loaded before the runner reports ready."""

from __future__ import annotations

import logging

from cognitia.llm.catalogue import Catalogue
from cognitia.llm.ports import ProviderError, ProviderRejected
from cognitia.llm.runner.embedding import LocalEmbedder
from cognitia.llm.runner.llama import LocalLlama
from cognitia.llm.runner.protocol import Health

log = logging.getLogger(__name__)


class Engines:
    def __init__(self, catalogue: Catalogue) -> None:
        self._chat = {
            name: LocalLlama(name, config)
            for name, config in catalogue.providers.items()
            if config.type == "local"
        }
        self._embedders = {
            name: LocalEmbedder(name, config)
            for name, config in catalogue.embedders.items()
            if config.type == "local"
        }

    def chat(self, name: str) -> LocalLlama:
        if name not in self._chat:
            raise ProviderRejected(f"this runner has no local chat model {name!r}")
        return self._chat[name]

    def embedder(self, name: str) -> LocalEmbedder:
        if name not in self._embedders:
            raise ProviderRejected(f"this runner has no local embedder {name!r}")
        return self._embedders[name]

    async def load(self) -> None:
        """Load everything; a model that cannot load is logged and answers each request
        with the reason (400), the others still serve."""
        engines: list[LocalLlama | LocalEmbedder] = [*self._chat.values()]
        engines += self._embedders.values()
        for engine in engines:
            try:
                await engine.load()
            except ProviderError as exc:
                log.error("model runner: %s cannot load: %s", engine.name, exc)

    def health(self) -> Health:
        chat = self._chat.values()
        return {
            "status": "ok",
            "generating": sum(model.active_generations for model in chat),
            "stalled_seconds": max((model.stalled_seconds for model in chat), default=0.0),
            "chat_models": sorted(self._chat),
            "embedders": sorted(self._embedders),
        }

    async def close(self) -> None:
        for model in self._chat.values():
            await model.close()
