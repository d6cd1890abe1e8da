"""A DNS server on 127.0.0.1 (UDP) answering A and AAAA queries from a dict.

Speaks the real wire protocol (dnspython builds the answers), so code under test uses
its real resolver pointed here. Unknown names get NXDOMAIN.

    async with FakeDns({"site.test": ["127.0.0.1"], "mixed.test": ["8.8.8.8", "10.0.0.1"]}) as dns:
        settings = FetchSettings(nameservers=["127.0.0.1"], dns_port=dns.port)
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class FakeDns(asyncio.DatagramProtocol):
    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = {name.lower().rstrip("."): values for name, values in records.items()}
        self.port = 0
        self.queries: list[tuple[str, str]] = []
        self._transport: asyncio.DatagramTransport | None = None

    async def __aenter__(self) -> FakeDns:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: self, local_addr=("127.0.0.1", 0)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._transport is not None:
            self._transport.close()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().lower().rstrip(".")
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        if name not in self.records:
            response.set_rcode(dns.rcode.NXDOMAIN)
        else:
            version = 4 if rdtype == "A" else 6
            values = [v for v in self.records[name] if ipaddress.ip_address(v).version == version]
            if values:
                response.answer.append(
                    dns.rrset.from_text_list(question.name, 60, dns.rdataclass.IN, rdtype, values)
                )
        assert self._transport is not None
        self._transport.sendto(response.to_wire(), addr)
