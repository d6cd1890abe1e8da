"""The MCP connections one process holds (API or worker), one per server id: opened on
first use, their tool lists cached, reopened after a drop, a changed row or an idle close,
retried with backoff after failed connects, all closed at shutdown. A broken server is
reported in its status (state, last error) and skipped; the others go on.

Status is this process's view: another API process may hold its own connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from typing import Any, TextIO

from mcp_types import CallToolResult

from cognitia.agents.fetch import DnsResolver, Resolver
from cognitia.agents.tools.mcp.connection import CallFailed, ConnectFailed, Connection, Opener
from cognitia.agents.tools.mcp.opening import open_client
from cognitia.agents.tools.mcp.spec import ServerSpec, ServerStatus
from cognitia.config import ToolSettings
from cognitia.kit.clock import utcnow

log = logging.getLogger(__name__)


class McpConnections:
    def __init__(
        self,
        settings: ToolSettings,
        resolver: Resolver | None = None,
        opener: Opener | None = None,
    ) -> None:
        self._settings = settings.mcp
        self._fetching = settings.fetch
        self._resolver = resolver or DnsResolver(settings.fetch)
        self._opener = opener or self._open
        self._errlog: TextIO | None = None
        self._live: dict[str, Connection] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._status: dict[str, ServerStatus] = {}
        self._retry: dict[str, tuple[int, float]] = {}  # server id -> (failures, not before)

    def status(self, server_id: str) -> ServerStatus:
        return self._status.get(server_id) or ServerStatus()

    async def connection(self, spec: ServerSpec, *, force: bool = False) -> Connection:
        """The server's open connection, opened now if needed; ConnectFailed when it
        cannot be (or failed lately and waits out its backoff, unless `force`)."""
        await self._close_idle()
        lock = self._locks.setdefault(spec.id, asyncio.Lock())
        async with lock:
            live = self._live.get(spec.id)
            if live is not None and live.alive and live.spec == spec and not force:
                live.used_at = time.monotonic()
                return live
            await self._drop(spec.id)
            self._wait_out_backoff(spec, force=force)
            return await self._connect(spec)

    async def refresh(self, spec: ServerSpec) -> ServerStatus:
        """Reconnect now, ignoring backoff, and list the tools again; never raises."""
        with contextlib.suppress(ConnectFailed):  # the status says why
            await self.connection(spec, force=True)
        return self.status(spec.id)

    async def call(self, spec: ServerSpec, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        """One tool call; CallFailed when it did not come back. A dropped connection is
        let go, so the next use opens a new one."""
        try:
            connection = await self.connection(spec)
        except ConnectFailed as exc:
            raise CallFailed(f"cannot connect: {exc}", dropped=True) from None
        try:
            return await connection.call(tool, arguments)
        except CallFailed as exc:
            error = redacted(str(exc), spec)
            if exc.dropped:
                self._broken(spec.id, f"the connection dropped: {error}")
                await self.forget(spec.id, keep_status=True)
            raise CallFailed(error, dropped=exc.dropped) from None

    async def forget(self, server_id: str, *, keep_status: bool = False) -> None:
        """Close the server's connection (deleted, changed, dropped)."""
        await self._drop(server_id)
        self._retry.pop(server_id, None)
        if not keep_status:
            self._status.pop(server_id, None)

    async def close(self) -> None:
        for server_id in list(self._live):
            await self._drop(server_id)
        if self._errlog is not None:
            self._errlog.close()
            self._errlog = None

    async def _connect(self, spec: ServerSpec) -> Connection:
        connection = Connection(spec, self._opener)
        try:
            await connection.open()
        except ConnectFailed as exc:
            failures = self._retry.get(spec.id, (0, 0.0))[0] + 1
            delay = min(2.0 ** (failures - 1), self._settings.retry_max_seconds)
            self._retry[spec.id] = (failures, time.monotonic() + delay)
            error = redacted(str(exc), spec)
            self._broken(spec.id, error)
            log.warning("MCP server %s (%s) is broken: %s", spec.name, spec.id, error)
            raise ConnectFailed(error) from None
        self._retry.pop(spec.id, None)
        self._live[spec.id] = connection
        self._status[spec.id] = ServerStatus("connected", None, connection.tools, utcnow())
        return connection

    def _wait_out_backoff(self, spec: ServerSpec, *, force: bool) -> None:
        failures, not_before = self._retry.get(spec.id, (0, 0.0))
        if failures and not force and time.monotonic() < not_before:
            last = self.status(spec.id).last_error or "connect failed"
            raise ConnectFailed(f"{last} (retrying later)")

    def _broken(self, server_id: str, error: str) -> None:
        previous = self.status(server_id)
        self._status[server_id] = ServerStatus("broken", error, previous.tools, utcnow())

    async def _drop(self, server_id: str) -> None:
        connection = self._live.pop(server_id, None)
        if connection is not None:
            await connection.close()

    async def _close_idle(self) -> None:
        # Idle connections are closed when the next one is asked for: no timer task.
        horizon = time.monotonic() - self._settings.idle_close_seconds
        for server_id, connection in list(self._live.items()):
            if (connection.idle and connection.used_at < horizon) or not connection.alive:
                await self._drop(server_id)

    def _open(self, spec: ServerSpec) -> Any:
        if self._errlog is None:
            # A stdio server's stderr: discarded (it may print its secrets); opened once.
            self._errlog = open(os.devnull, "w")  # noqa: SIM115 - a device, no I/O wait
        return open_client(spec, self._errlog, self._fetching, self._resolver)


def redacted(text: str, spec: ServerSpec) -> str:
    """The text without the server's secrets (environment and header values, the URL,
    which may carry a token): an error from a library may quote any of them."""
    secrets = [value for _, value in (*spec.env, *spec.headers)]
    secrets += [spec.url] if spec.url else []
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:  # too short to be a secret worth the noise of hiding
            text = text.replace(secret, "***")
    return text
