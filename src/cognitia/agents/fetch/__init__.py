"""SSRF-safe HTTP fetch for tools: every address checked, the checked one connected to."""

from cognitia.agents.fetch.client import FetchResult, fetch
from cognitia.agents.fetch.errors import (
    BlockedAddress,
    DnsFailed,
    FetchError,
    FetchTimeout,
    InvalidUrl,
    TooManyRedirects,
)
from cognitia.agents.fetch.resolver import DnsResolver, Resolver

__all__ = [
    "BlockedAddress",
    "DnsFailed",
    "DnsResolver",
    "FetchError",
    "FetchResult",
    "FetchTimeout",
    "InvalidUrl",
    "Resolver",
    "TooManyRedirects",
    "fetch",
]
