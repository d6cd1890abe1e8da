"""The Stripe SDK's HTTP client on an httpx.AsyncClient we own.

The SDK's own HTTPXClient sends the form body as `data=<str>`, which httpx deprecates; this
one sends it as `content`. Only the async calls exist: nothing here may block the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any, NoReturn

import httpx
import stripe


class StripeHttpClient(stripe.HTTPClient):
    name = "cognitia-httpx"

    def __init__(self, client: httpx.AsyncClient) -> None:
        super().__init__()
        self._client = client

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        try:
            response = await self._client.request(
                method, url, headers=dict(headers), content=post_data
            )
        except httpx.HTTPError as exc:
            message = f"Could not reach Stripe ({type(exc).__name__})."
            raise stripe.APIConnectionError(message, should_retry=True) from exc  # type: ignore[no-untyped-call]
        return response.content, response.status_code, response.headers

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> NoReturn:
        raise RuntimeError("Stripe is called with the SDK's async methods only")

    def sleep_async(self, secs: float) -> Awaitable[None]:
        return asyncio.sleep(secs)

    def close(self) -> None:
        """Nothing to close synchronously; close_async closes the client."""

    async def close_async(self) -> None:
        await self._client.aclose()
