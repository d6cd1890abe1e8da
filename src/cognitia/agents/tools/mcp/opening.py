"""Opening one MCP client: a stdio server as a child process (its environment the SDK's
minimal default plus the server's own variables, never ours), or a streamable-HTTP URL;
for a user's URL every address is checked by the fetch rules and the checked one is the
one connected to (no second DNS answer can point it inside)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TextIO

import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from cognitia.agents.fetch import Resolver
from cognitia.agents.fetch.address import (
    AllowList,
    IPAddress,
    Target,
    check_addresses,
    parse_target,
)
from cognitia.agents.tools.mcp.spec import ServerSpec
from cognitia.config import FetchSettings
from cognitia.models.mcp_server import McpTransport


@asynccontextmanager
async def open_client(
    spec: ServerSpec, errlog: TextIO, fetching: FetchSettings, resolver: Resolver
) -> AsyncIterator[Client]:
    """The connected, initialised client; closed (the child stopped) on the way out."""
    async with AsyncExitStack() as stack:
        if spec.transport is McpTransport.STDIO:
            assert spec.command is not None  # the schema requires it for stdio
            params = StdioServerParameters(
                command=spec.command, args=list(spec.args), env=dict(spec.env)
            )
            transport = stdio_client(params, errlog=errlog)
        else:
            http = await stack.enter_async_context(await _http_client(spec, fetching, resolver))
            assert spec.url is not None
            transport = streamable_http_client(spec.url, http_client=http)
        # cache=None: the tool list is cached here, and a refresh must ask the server.
        yield await stack.enter_async_context(
            Client(transport, read_timeout_seconds=spec.call_timeout_seconds, cache=None)
        )


async def _http_client(
    spec: ServerSpec, fetching: FetchSettings, resolver: Resolver
) -> httpx2.AsyncClient:
    assert spec.url is not None
    timeout = httpx2.Timeout(spec.call_timeout_seconds, connect=spec.connect_timeout_seconds)
    transport: httpx2.AsyncBaseTransport | None = None
    if spec.checked_address:
        target = parse_target(spec.url)
        transport = _Pinned(target, await checked_address(target, fetching, resolver))
    return httpx2.AsyncClient(
        headers=dict(spec.headers), timeout=timeout, trust_env=False, transport=transport
    )


async def checked_address(target: Target, fetching: FetchSettings, resolver: Resolver) -> IPAddress:
    """The address to connect to: every answer public, or allowed by tools.fetch.allow."""
    addresses = [target.literal] if target.literal else await resolver.resolve(target.host)
    check_addresses(target, addresses, AllowList.parse(fetching.allow))
    return addresses[0]


class _Pinned(httpx2.AsyncHTTPTransport):
    """Every request goes to the checked address, with the URL's host as Host and SNI;
    a request for another host (a redirect elsewhere) is refused."""

    def __init__(self, target: Target, address: IPAddress) -> None:
        super().__init__(trust_env=False)
        self._target = target
        self._address = address

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.host != self._target.host:
            raise httpx2.ConnectError(f"refused: {request.url.host} is not the server's host")
        request.url = request.url.copy_with(host=str(self._address))
        request.extensions = {**request.extensions, "sni_hostname": self._target.host}
        return await super().handle_async_request(request)
