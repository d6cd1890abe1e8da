"""Which URLs and addresses a fetch may reach. Pure functions, no I/O.

A host is either a name (resolved later, every address checked) or a literal IP in its
canonical form: dotted-quad IPv4 or bracketed IPv6. Other numeric spellings that
resolvers and browsers accept (2130706433, 0177.0.0.1, 0x7f000001, 127.1) are refused
outright rather than normalised, so no two parsers can disagree about what they mean.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from cognitia.agents.fetch.errors import BlockedAddress, InvalidUrl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_DOTTED_QUAD = re.compile(
    r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$"
)
# WHATWG URL: a host whose last label is a number (decimal, 0x hex or octal) is an IPv4.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|\d+)$")
_NAME = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$")
# NAT64's well-known prefix carries an IPv4 address in its last 32 bits (RFC 6052).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True, slots=True)
class Target:
    """One URL, checked for shape: where to connect and what to send as Host/SNI."""

    url: str
    scheme: str
    host: str
    port: int
    literal: IPAddress | None

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"

    def url_for(self, address: IPAddress) -> str:
        """The URL with its host replaced by the checked address (path and query kept)."""
        parts = urlsplit(self.url)
        host = f"[{address}]" if address.version == 6 else str(address)
        return parts._replace(netloc=f"{host}:{self.port}").geturl()


def parse_target(url: str) -> Target:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(f"Not a URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidUrl("Only http and https URLs can be fetched.")
    if parts.username is not None or parts.password is not None:
        raise InvalidUrl("URLs with credentials are not fetched.")
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidUrl("The URL has no host.")
    port = port or (443 if parts.scheme == "https" else 80)
    return Target(url.strip(), parts.scheme, host, port, _literal(host))


def _literal(host: str) -> IPAddress | None:
    if ":" in host:  # urlsplit already took the brackets off
        if "%" in host:
            raise InvalidUrl("IPv6 zone identifiers are not fetched.")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise InvalidUrl("Not an IPv6 address.") from None
    if _DOTTED_QUAD.match(host):
        return ipaddress.IPv4Address(host)
    if _NUMERIC_LABEL.match(host.rstrip(".").rsplit(".", 1)[-1]):
        raise InvalidUrl("Numeric hosts must be written as a dotted-quad IPv4 address.")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidUrl("Not a valid host name.") from None
    if not _NAME.match(ascii_host):
        raise InvalidUrl("Not a valid host name.")
    return None


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.version == 4:
        return None
    assert isinstance(address, ipaddress.IPv6Address)
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    inner = embedded_ipv4(address)
    if inner is not None and not is_public(inner):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


@dataclass(frozen=True, slots=True)
class AllowList:
    """Hosts and networks an admin lets fetch reach although they are not public."""

    names: frozenset[str]
    networks: tuple[Network, ...]

    @classmethod
    def parse(cls, entries: list[str]) -> AllowList:
        names: set[str] = set()
        networks: list[Network] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                names.add(entry.strip().lower().rstrip("."))
        return cls(frozenset(names), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host.rstrip(".") in self.names

    def allows_address(self, address: IPAddress) -> bool:
        candidates = [address]
        inner = embedded_ipv4(address)
        if inner is not None:
            candidates.append(inner)
        return any(
            a in net for a in candidates for net in self.networks if a.version == net.version
        )


def check_addresses(target: Target, addresses: list[IPAddress], allow: AllowList) -> None:
    """Every address must be public or allowed; one private answer refuses them all."""
    if allow.allows_host(target.host):
        return
    for address in addresses:
        if not (is_public(address) or allow.allows_address(address)):
            raise BlockedAddress(f"{target.host} resolves to a non-public address.")
