"""Embeddings from any server speaking OpenAI's POST /embeddings (OpenAI, vLLM, Ollama,
llama.cpp's server, LiteLLM ...), batched, with vendor failures mapped to ProviderError.

`dimensions` is sent only when the catalogue sets it explicitly (text-embedding-3 can
shorten its vectors; older models reject the field). Every vector is L2-normalised here,
since not every server does it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

import httpx

from cognitia.kit.tls import client_context
from cognitia.llm.catalogue import EmbedderConfig, ProviderConfig
from cognitia.llm.ports import (
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)

OPENAI_BASE_URL = "https://api.openai.com/v1"


class OpenAIEmbedder:
    """Embedder calling an OpenAI-compatible /embeddings endpoint."""

    def __init__(
        self,
        name: str,
        config: EmbedderConfig,
        provider: ProviderConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.dimensions = config.dimensions
        self._slots = asyncio.Semaphore(provider.concurrency)
        headers = dict(provider.headers)
        key = provider.resolved_api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._client = httpx.AsyncClient(
            verify=client_context(),
            base_url=(provider.base_url or OPENAI_BASE_URL).rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(
                provider.timeout_seconds, connect=provider.connect_timeout_seconds
            ),
            transport=transport,
        )

    async def embed(self, texts: Sequence[str], *, background: bool = False) -> list[list[float]]:
        size = self.config.batch_size
        vectors: list[list[float]] = []
        for start in range(0, len(texts), size):
            batch = list(texts[start : start + size])
            vectors.extend(await self._embed_batch(batch, self._extra_body(background)))
        return vectors

    def _extra_body(self, background: bool) -> dict[str, Any]:
        """Fields beyond OpenAI's own (none: a hosted server would reject them)."""
        return {}

    async def close(self) -> None:
        await self._client.aclose()

    async def _embed_batch(self, batch: list[str], extra: dict[str, Any]) -> list[list[float]]:
        body: dict[str, Any] = {
            "model": self.config.upstream,
            "input": batch,
            "encoding_format": "float",
            **extra,
        }
        if "dimensions" in self.config.model_fields_set:
            body["dimensions"] = self.config.dimensions
        async with self._slots:
            try:
                response = await self._client.post("/embeddings", json=body)
            except httpx.TimeoutException as exc:
                raise ProviderUnavailable(f"{self.name}: embeddings timed out") from exc
            except httpx.TransportError as exc:
                raise ProviderUnavailable(f"{self.name}: cannot reach upstream: {exc}") from exc
        if response.status_code >= 400:
            raise _status_error(self.name, response)
        return self._vectors(response, expected=len(batch))

    def _vectors(self, response: httpx.Response, *, expected: int) -> list[list[float]]:
        try:
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            vectors = [[float(x) for x in item["embedding"]] for item in data]
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderUnavailable(f"{self.name}: malformed embeddings response") from exc
        if len(vectors) != expected:
            raise ProviderUnavailable(
                f"{self.name}: asked for {expected} embeddings, got {len(vectors)}"
            )
        for vector in vectors:
            if len(vector) != self.dimensions:
                raise ProviderRejected(
                    f"embedder {self.name!r}: upstream returned {len(vector)}-dimensional "
                    f"vectors, the catalogue says {self.dimensions}"
                )
        return [_normalised(vector) for vector in vectors]


def _normalised(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else vector


def _status_error(name: str, response: httpx.Response) -> ProviderError:
    status = response.status_code
    message = f"{name}: upstream answered {status}: {_error_message(response)}"
    if status == 429:
        retry_after = _retry_after(response.headers.get("retry-after"))
        return ProviderRateLimited(message, status=status, retry_after=retry_after)
    if status >= 500 or status == 408:
        return ProviderUnavailable(message, status=status)
    return ProviderRejected(message, status=status)


def _error_message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return response.text[:200]
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return str(error)[:200] if error else response.text[:200]


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds; the HTTP-date form is rare from APIs and ignored."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
