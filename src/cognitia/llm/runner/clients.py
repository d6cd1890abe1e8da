"""The API side of the runner: a ChatModel and an Embedder that call it.

Both are the OpenAI-compatible adapters pointed at the runner, with two differences:
the body names the catalogue entry (the runner serves every local model), and each
call first waits, within the first-token timeout, for a runner that is (re)starting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from cognitia.llm.catalogue import EmbedderConfig, ProviderConfig
from cognitia.llm.embedders.openai_compat import OpenAIEmbedder
from cognitia.llm.ports import ChatRequest, ProviderUnavailable, StreamEvent
from cognitia.llm.providers.openai_compat import (
    ChunkParser,
    SSEChatModel,
    endpoint,
    request_body,
)
from cognitia.llm.runner.supervisor import Runner


class RunnerChatModel(SSEChatModel):
    """ChatModel for a catalogue provider of type `local`, run by the model runner."""

    def __init__(self, name: str, config: ProviderConfig, runner: Runner) -> None:
        super().__init__(
            name, config, base_url=f"{runner.base_url}/v1", headers={}, transport=runner.transport()
        )
        self._runner = runner
        self._wait = config.first_token_timeout_seconds

    async def stream(self, request: ChatRequest, *, model: str) -> AsyncIterator[StreamEvent]:
        await self._runner.ready(self._wait)
        started = False
        try:
            async for event in self._generate(request):
                started = True
                yield event
        except ProviderUnavailable:
            # Nothing sent yet and the runner is gone (it died between two requests):
            # once it is back, this request has lost nothing by being tried again.
            if started or not await self._runner.lost():
                raise
            await self._runner.ready(self._wait)
            async for event in self._generate(request):
                yield event

    def _generate(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        body = request_body(request, self.name)
        if request.background:
            body["priority"] = "background"
        return self._events(endpoint(request), body, ChunkParser(self))

    async def count_tokens(self, text: str, *, model: str) -> int | None:
        """The model's own count; None when the runner cannot tell right now."""
        try:
            await self._runner.ready(self._wait)
            response = await self._client.post("tokenize", json={"model": self.name, "text": text})
            response.raise_for_status()
            return int(response.json()["tokens"])
        except (httpx.HTTPError, ProviderUnavailable, ValueError, KeyError, TypeError):
            return None


class RunnerEmbedder(OpenAIEmbedder):
    """Embedder for a catalogue embedder of type `local`, run by the model runner."""

    def __init__(self, name: str, config: EmbedderConfig, runner: Runner) -> None:
        connection = ProviderConfig(type="openai", base_url=runner.base_url + "/v1")
        # The runner knows its embedders by their catalogue name.
        by_name = config.model_copy(update={"upstream": name})
        super().__init__(name, by_name, connection, transport=runner.transport())
        self._runner = runner
        self._wait = connection.first_token_timeout_seconds

    async def embed(self, texts: Sequence[str], *, background: bool = False) -> list[list[float]]:
        if not texts:
            return []
        await self._runner.ready(self._wait)
        try:
            return await super().embed(texts, background=background)
        except ProviderUnavailable:
            if not await self._runner.lost():
                raise
            await self._runner.ready(self._wait)
            return await super().embed(texts, background=background)

    def _extra_body(self, background: bool) -> dict[str, Any]:
        # The runner embeds a reply's query before queued indexing (runner/embed_queue.py).
        return {"priority": "background" if background else "interactive"}
