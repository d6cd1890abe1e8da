"""Host names to addresses through dnspython's async resolver (never the blocking libc one)."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Protocol

import dns.asyncresolver
import dns.exception
import dns.resolver

from cognitia.agents.fetch.address import IPAddress
from cognitia.agents.fetch.errors import DnsFailed
from cognitia.config import FetchSettings


class Resolver(Protocol):
    async def resolve(self, host: str) -> list[IPAddress]: ...


class DnsResolver:
    """A and AAAA records from the configured servers (or /etc/resolv.conf's)."""

    def __init__(self, settings: FetchSettings) -> None:
        self._resolver = dns.asyncresolver.Resolver(configure=not settings.nameservers)
        if settings.nameservers:
            self._resolver.nameservers = list(settings.nameservers)
            self._resolver.port = settings.dns_port
        self._lifetime = settings.timeout_seconds

    async def resolve(self, host: str) -> list[IPAddress]:
        answers = await asyncio.gather(self._query(host, "A"), self._query(host, "AAAA"))
        addresses = [ipaddress.ip_address(a) for answer in answers for a in answer]
        if not addresses:
            raise DnsFailed(f"{host} has no address.")
        return addresses

    async def _query(self, host: str, rdtype: str) -> list[str]:
        try:
            answer = await self._resolver.resolve(host, rdtype, lifetime=self._lifetime)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as exc:
            raise DnsFailed(f"{host}: {type(exc).__name__}") from None
        return [rdata.to_text() for rdata in answer]
