"""fetch(): GET a URL that an untrusted caller (a model's tool call) named, without SSRF.

Each hop: parse the URL, resolve the host, check every address, then connect to the
checked address itself (the URL's host swapped for it, the Host header and TLS SNI kept
as the name) so a second DNS answer cannot point the connection elsewhere. Redirects are
followed here, one hop at a time, through the same checks.
"""

from __future__ import annotations

import asyncio
import codecs
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from cognitia.agents.fetch.address import (
    AllowList,
    IPAddress,
    Target,
    check_addresses,
    parse_target,
)
from cognitia.agents.fetch.errors import FetchError, FetchTimeout, InvalidUrl, TooManyRedirects
from cognitia.agents.fetch.resolver import DnsResolver, Resolver
from cognitia.config import FetchSettings

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class FetchResult:
    status: int
    content_type: str | None
    text: str
    final_url: str
    truncated: bool


@dataclass(frozen=True, slots=True)
class _Redirect:
    location: str


async def fetch(
    url: str,
    settings: FetchSettings,
    *,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> FetchResult:
    """GET url; raises a FetchError subclass (a 400 with a stable code) when refused.

    ssl_context replaces the default trust store (certifi), e.g. for a private CA."""
    checked = _Hops(settings, resolver or DnsResolver(settings), ssl_context)
    try:
        async with asyncio.timeout(settings.timeout_seconds):
            return await checked.follow(url)
    except TimeoutError:
        raise FetchTimeout() from None


class _Hops:
    def __init__(
        self, settings: FetchSettings, resolver: Resolver, ssl_context: ssl.SSLContext | None
    ) -> None:
        self._settings = settings
        self._verify: ssl.SSLContext | bool = ssl_context or True
        self._resolver = resolver
        self._allow = AllowList.parse(settings.allow)

    async def follow(self, url: str) -> FetchResult:
        for _ in range(self._settings.max_redirects + 1):
            target = parse_target(url)
            outcome = await self._get(target, await self._address(target))
            if isinstance(outcome, FetchResult):
                return outcome
            url = urljoin(target.url, outcome.location)
        raise TooManyRedirects()

    async def _address(self, target: Target) -> IPAddress:
        addresses = (
            [target.literal] if target.literal else await self._resolver.resolve(target.host)
        )
        check_addresses(target, addresses, self._allow)
        return addresses[0]

    async def _get(self, target: Target, address: IPAddress) -> FetchResult | _Redirect:
        headers = {
            "Host": target.host_header,
            "User-Agent": self._settings.user_agent,
            # uncompressed, so the byte cap bounds what is held (no gzip bombs to expand)
            "Accept-Encoding": "identity",
        }
        # A client per hop: pooled connections are keyed by the IP, so one kept across
        # hops could carry a request for another host name over the first one's TLS.
        async with httpx.AsyncClient(
            trust_env=False,
            follow_redirects=False,
            timeout=self._settings.timeout_seconds,
            verify=self._verify,
        ) as client:
            try:
                async with client.stream(
                    "GET",
                    target.url_for(address),
                    headers=headers,
                    extensions={"sni_hostname": target.host},
                ) as response:
                    return await self._outcome(target, response)
            except httpx.TimeoutException:
                raise FetchTimeout() from None
            except httpx.HTTPError as exc:
                # httpx parses a redirect's Location itself and refuses odd hosts (0177.0.0.1)
                if "location header" in str(exc):
                    raise InvalidUrl("The redirect's Location is not a valid URL.") from None
                raise FetchError(f"The fetch failed: {type(exc).__name__}.") from None

    async def _outcome(self, target: Target, response: httpx.Response) -> FetchResult | _Redirect:
        location = response.headers.get("location")
        if response.status_code in _REDIRECTS and location:
            return _Redirect(location)
        body, truncated = await _read_capped(response, self._settings.max_bytes)
        return FetchResult(
            status=response.status_code,
            content_type=response.headers.get("content-type"),
            text=_decode(body, response.charset_encoding),
            final_url=target.url,
            truncated=truncated,
        )


async def _read_capped(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > cap:
            return bytes(body[:cap]), True
    return bytes(body), False


def _decode(body: bytes, charset: str | None) -> str:
    try:
        codec = codecs.lookup(charset or "utf-8").name
    except LookupError:
        codec = "utf-8"
    return body.decode(codec, errors="replace")
