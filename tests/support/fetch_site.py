"""A tiny HTTP site and the fake DNS records the safe fetch's tests reach it through.

No public address is reachable from CI, so the "public" site is a name the fake DNS
resolves to 127.0.0.1, let through by the allow-list (settings_for)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from cognitia.config import FetchSettings
from tests.support.fake_dns import FakeDns

RECORDS = {
    "site.test": ["127.0.0.1"],
    "internal.test": ["10.0.0.1"],
    "mixed.test": ["93.184.216.34", "10.0.0.1"],
    "sneaky.test": ["::ffff:127.0.0.1"],
}


@dataclass
class Site:
    """A tiny HTTP/1.1 server: /hello echoes Host, /to?<url> redirects, /big, /hang."""

    port: int = 0
    hosts: list[str] = field(default_factory=list)
    hanging: list[asyncio.StreamWriter] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        path = head.split(" ", 2)[1]
        host = next(line[6:] for line in head.split("\r\n") if line.lower().startswith("host: "))
        self.hosts.append(host)
        if path == "/hang":
            self.hanging.append(writer)  # never answers; closed when the test ends
            return
        if path.startswith("/to?"):
            status, headers, body = "302 Found", f"Location: {path[4:]}\r\n", b""
        elif path == "/big":
            status, headers, body = "200 OK", "Content-Type: text/plain\r\n", b"x" * 100_000
        else:
            body = f"hello via {host}".encode()
            status, headers = "200 OK", "Content-Type: text/plain; charset=utf-8\r\n"
        writer.write(
            f"HTTP/1.1 {status}\r\n{headers}Content-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()


def settings_for(dns_server: FakeDns, **changes: object) -> FetchSettings:
    values: dict[str, object] = {
        "nameservers": ["127.0.0.1"],
        "dns_port": dns_server.port,
        "allow": ["site.test"],
        "timeout_seconds": 5.0,
    }
    values.update(changes)
    return FetchSettings.model_validate(values)
