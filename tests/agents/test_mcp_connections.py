"""The MCP connection manager against real servers (tests/support/mcp_tools.py), without
the API: stdio children started and stopped on uvloop too, a server that never answers its
handshake (connect timeout, the child stopped), backoff after a failed connect and a
forced refresh past it, idle connections reopened, and a user's HTTP server held to the
fetch address rules while an admin's may be internal."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import uvloop

from cognitia.agents.tools.mcp.connection import ConnectFailed
from cognitia.agents.tools.mcp.connections import McpConnections, redacted
from cognitia.agents.tools.mcp.spec import ServerSpec
from cognitia.agents.tools.mcp.tools import as_text
from cognitia.config import ToolSettings
from cognitia.models.mcp_server import McpTransport
from tests.support.mcp_tools import HttpMcp, stdio_command
from tests.support.waiting import eventually_sync

VERSION = datetime(2026, 1, 1, tzinfo=UTC)


def stdio(
    command: str | None = None, args: tuple[str, ...] | None = None, **fields: float
) -> ServerSpec:
    default_command, default_args = stdio_command()
    return ServerSpec(
        id=f"s-{command or 'good'}",
        name="local",
        transport=McpTransport.STDIO,
        command=command or default_command,
        args=args if args is not None else tuple(default_args),
        env=(),
        url=None,
        headers=(),
        connect_timeout_seconds=fields.get("connect", 30.0),
        call_timeout_seconds=30.0,
        checked_address=False,
        version=VERSION,
    )


def http(url: str, *, checked: bool) -> ServerSpec:
    return ServerSpec(
        id=f"h-{checked}",
        name="remote",
        transport=McpTransport.HTTP,
        command=None,
        args=(),
        env=(),
        url=url,
        headers=(("X-Key", "k"),),
        connect_timeout_seconds=10.0,
        call_timeout_seconds=10.0,
        checked_address=checked,
        version=VERSION,
    )


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def server_pid(connections: McpConnections, spec: ServerSpec) -> int:
    return int(as_text(await connections.call(spec, "pid", {})))


def run_on(loop: str, main: Callable[[], Awaitable[None]]) -> None:
    if loop == "uvloop":
        uvloop.run(main())
    else:
        asyncio.run(main())


@pytest.fixture
def http_mcp() -> Iterator[HttpMcp]:
    with HttpMcp() as served:
        yield served


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_stdio_server_starts_answers_and_stops(loop: str) -> None:
    pids: list[int] = []

    async def main() -> None:
        connections = McpConnections(ToolSettings())
        spec = stdio()
        status = await connections.refresh(spec)
        assert (status.state, status.last_error) == ("connected", None)
        assert "echo" in [t.name for t in status.tools]
        assert as_text(await connections.call(spec, "echo", {"text": "hi"})) == "echo: hi"
        pids.append(await server_pid(connections, spec))
        await connections.close()

    run_on(loop, main)
    eventually_sync(lambda: gone(pids[0]), timeout=10)


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_server_that_never_answers_its_handshake_times_out_and_is_stopped(loop: str) -> None:
    silent = stdio(sys.executable, ("-c", "import time; time.sleep(3600)"), connect=1.0)

    async def main() -> None:
        connections = McpConnections(ToolSettings())
        with pytest.raises(ConnectFailed, match="connect timeout"):
            await connections.connection(silent)
        status = connections.status(silent.id)
        assert status.state == "broken"
        assert "connect timeout (1s)" in str(status.last_error)
        await connections.close()

    run_on(loop, main)


@pytest.mark.asyncio
async def test_backoff_after_a_failed_connect_and_refresh_past_it() -> None:
    connections = McpConnections(ToolSettings(mcp={"retry_max_seconds": 3600}))
    missing = stdio("/nonexistent/mcp-server", ())
    with pytest.raises(ConnectFailed) as first:
        await connections.connection(missing)
    assert "retrying later" not in str(first.value)
    with pytest.raises(ConnectFailed, match="retrying later"):
        await connections.connection(missing)
    refreshed = await connections.refresh(missing)  # tries again now
    assert refreshed.state == "broken"
    assert refreshed.last_error
    assert "retrying later" not in refreshed.last_error
    await connections.close()


@pytest.mark.asyncio
async def test_an_idle_connection_is_closed_and_reopened_on_the_next_use() -> None:
    connections = McpConnections(ToolSettings(mcp={"idle_close_seconds": 1e-9}))
    spec = stdio()
    first = await server_pid(connections, spec)
    second = await server_pid(connections, spec)
    assert first != second
    assert gone(first) or eventually_sync(lambda: gone(first), timeout=10)
    await connections.close()


@pytest.mark.asyncio
async def test_a_user_s_server_is_held_to_the_address_rules(http_mcp: HttpMcp) -> None:
    connections = McpConnections(ToolSettings())
    users = await connections.refresh(http(http_mcp.url, checked=True))
    assert users.state == "broken"
    assert "non-public" in str(users.last_error)
    admins = await connections.refresh(http(http_mcp.url, checked=False))
    assert admins.state == "connected", admins.last_error
    allowed = McpConnections(ToolSettings(fetch={"allow": ["127.0.0.1/32"]}))
    pinned = http(http_mcp.url, checked=True)
    assert (await allowed.refresh(pinned)).state == "connected"
    assert as_text(await allowed.call(pinned, "echo", {"text": "pinned"})) == "echo: pinned"
    await connections.close()
    await allowed.close()


def test_errors_are_told_without_the_server_s_secrets() -> None:
    spec = http("https://mcp.example/mcp?token=t0ken-42", checked=True)
    spec = replace(spec, env=(("API_KEY", "sk-live-1"),))
    said = "GET https://mcp.example/mcp?token=t0ken-42 failed; key sk-live-1; X-Key k"
    assert redacted(said, spec) == "GET *** failed; key ***; X-Key k"
