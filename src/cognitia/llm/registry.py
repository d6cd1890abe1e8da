"""Provider and embedder instances by name, built lazily from the catalogue.

Adapters are registered by provider type; a provider is constructed at `start()` when a
lane uses it (so the first reply does not pay for its client), else on first use, so that
an unused hosted provider opens no client. Local models and embedders are clients of the
model runner (llm/runner), which `start()` launches when the lanes or the default
embedder need it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from cognitia.config import RoutingSettings
from cognitia.llm.breaker import CircuitBreaker
from cognitia.llm.catalogue import Catalogue, EmbedderConfig, ModelConfig, ProviderConfig
from cognitia.llm.intent import IntentRouter
from cognitia.llm.ports import ChatModel, Embedder
from cognitia.llm.runner.supervisor import Runner

log = logging.getLogger(__name__)

ChatFactory = Callable[[str, ProviderConfig], ChatModel]


def _openai(name: str, config: ProviderConfig) -> ChatModel:
    from cognitia.llm.providers.openai_compat import OpenAICompatible

    return OpenAICompatible(name, config)


def _anthropic(name: str, config: ProviderConfig) -> ChatModel:
    from cognitia.llm.providers.anthropic import AnthropicMessages

    return AnthropicMessages(name, config)


CHAT_FACTORIES: dict[str, ChatFactory] = {
    "openai": _openai,
    "anthropic": _anthropic,
}


class UnknownModel(LookupError):
    pass


class ModelRegistry:
    def __init__(
        self,
        catalogue: Catalogue,
        *,
        runner: Runner,
        breaker_threshold: int = 5,
        breaker_cooldown_seconds: float = 30.0,
        routing: RoutingSettings | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.runner = runner
        # Picks the lane of `lane/auto` requests (its classifier uses the default embedder).
        self.intent = IntentRouter(routing or RoutingSettings(), self.embedder)
        self._providers: dict[str, ChatModel] = {}
        self._embedders: dict[str, Embedder] = {}
        self._breakers: dict[str, CircuitBreaker] = {}
        self._breaker_threshold = breaker_threshold
        self._breaker_cooldown = breaker_cooldown_seconds
        self._lock = asyncio.Lock()
        # The model's own token counts of recent prompts: a reply's prompt is counted when
        # it is fitted to the window and again when the model layer checks it (one ask of
        # the tokenizer, not two). Insertion order: the oldest goes first.
        self.token_counts: dict[tuple[str, str, str], int] = {}

    def model(self, name: str) -> ModelConfig:
        try:
            return self.catalogue.models[name]
        except KeyError:
            raise UnknownModel(name) from None

    def provider(self, name: str) -> ChatModel:
        if name not in self._providers:
            built = self._build_provider(name, self.catalogue.providers[name])
            # Built in a thread at start (see `start`): if two raced, the one stored stays.
            self._providers.setdefault(name, built)
        return self._providers[name]

    def _build_provider(self, name: str, config: ProviderConfig) -> ChatModel:
        if config.type == "local":
            from cognitia.llm.runner.clients import RunnerChatModel

            return RunnerChatModel(name, config, self.runner)
        return CHAT_FACTORIES[config.type](name, config)

    def needs_runner(self) -> bool:
        """Whether a lane or the default embedder uses a local model."""
        catalogue = self.catalogue
        in_lanes = {model for chain in catalogue.lanes.values() for model in chain}
        providers = {catalogue.models[model].provider for model in in_lanes}
        local = any(catalogue.providers[p].type == "local" for p in providers)
        return local or catalogue.embedders[catalogue.default_embedder].type == "local"

    async def start(self) -> None:
        """Start the model runner now, so its models load before the first request, and
        make the clients of the providers the lanes use and of the default embedder (each
        HTTP client loads TLS certificates, about 0.1 s of CPU the first reply would pay)."""
        if self.needs_runner():
            await self.runner.start()
        await asyncio.to_thread(self._build_clients)

    def _build_clients(self) -> None:
        in_lanes = {model for chain in self.catalogue.lanes.values() for model in chain}
        for provider in sorted({self.catalogue.models[m].provider for m in in_lanes}):
            try:
                self.provider(provider)
            except Exception:  # the request that needs it reports it
                log.warning("provider %s could not be set up at start", provider, exc_info=True)
        try:
            self.embedder()
        except Exception:
            log.warning("the default embedder could not be set up at start", exc_info=True)

    def register_provider(self, provider: ChatModel) -> None:
        """Install a ready-made provider under its name (tests, plugins)."""
        self._providers[provider.name] = provider

    def breaker(self, provider_name: str) -> CircuitBreaker:
        if provider_name not in self._breakers:
            self._breakers[provider_name] = CircuitBreaker(
                failure_threshold=self._breaker_threshold,
                cooldown_seconds=self._breaker_cooldown,
            )
        return self._breakers[provider_name]

    def embedder(self, name: str | None = None) -> Embedder:
        name = name or self.catalogue.default_embedder
        if name not in self.catalogue.embedders:
            raise UnknownModel(name)
        if name not in self._embedders:
            built = self._build_embedder(name, self.catalogue.embedders[name])
            # Built in a thread at times (its HTTP client loads TLS certificates): if two
            # raced, the one already stored (perhaps in use) stays and the other is unused.
            self._embedders.setdefault(name, built)
        return self._embedders[name]

    def _build_embedder(self, name: str, config: EmbedderConfig) -> Embedder:
        if config.type == "local":
            from cognitia.llm.runner.clients import RunnerEmbedder

            return RunnerEmbedder(name, config, self.runner)
        from cognitia.llm.embedders.openai_compat import OpenAIEmbedder

        if config.provider is None or config.provider not in self.catalogue.providers:
            raise UnknownModel(f"embedder {name!r} needs a known provider")
        return OpenAIEmbedder(name, config, self.catalogue.providers[config.provider])

    async def close(self) -> None:
        for provider in self._providers.values():
            await provider.close()
        for embedder in self._embedders.values():
            await embedder.close()
        await self.runner.close()
