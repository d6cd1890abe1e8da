"""One live connection to one MCP server. The SDK's client lives in anyio task groups that
must be entered and left by one task, so a task of its own holds it open until `close`;
calls from reply tasks go through it. A connect is bounded by the server's connect
timeout and a call by its call timeout: a dead or hanging server never holds a reply."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import REQUEST_TIMEOUT, CallToolResult

from cognitia.agents.tools.mcp.spec import RemoteTool, ServerSpec

Opener = Callable[[ServerSpec], AbstractAsyncContextManager[Client]]
CLOSE_SECONDS = 10.0  # the SDK bounds its own shutdown; this bounds ours


class ConnectFailed(Exception):
    """The server could not be reached or did not answer its handshake and tool list."""


class CallFailed(Exception):
    """A call did not come back: `dropped` when the connection is gone with it."""

    def __init__(self, message: str, *, dropped: bool) -> None:
        super().__init__(message)
        self.dropped = dropped


class Connection:
    def __init__(self, spec: ServerSpec, opener: Opener) -> None:
        self.spec = spec
        self.tools: list[RemoteTool] = []
        self.used_at = time.monotonic()
        self.in_flight = 0  # calls under way: an idle close waits for them
        self._opener = opener
        self._client: Client | None = None
        self._ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return self._client is not None and self._task is not None and not self._task.done()

    async def open(self) -> None:
        """Connect and list the tools, within the connect timeout; ConnectFailed otherwise."""
        self._task = asyncio.create_task(self._hold(), name=f"mcp-{self.spec.name}")
        try:
            async with asyncio.timeout(self.spec.connect_timeout_seconds):
                await asyncio.shield(self._ready)
        except TimeoutError:
            self._ready.cancel()  # what the task sets there now is wanted by no one
            await self.close()
            seconds = self.spec.connect_timeout_seconds
            raise ConnectFailed(f"no answer within the connect timeout ({seconds:g}s)") from None
        except Exception as exc:
            await self.close()
            raise ConnectFailed(describe(exc)) from None

    async def call(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        self.used_at = time.monotonic()
        if self._client is None or not self.alive:
            raise CallFailed("the server is not connected", dropped=True)
        seconds = self.spec.call_timeout_seconds
        self.in_flight += 1
        try:
            return await self._client.call_tool(tool, arguments, read_timeout_seconds=seconds)
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                raise CallFailed(f"no answer within {seconds:g}s", dropped=False) from None
            raise CallFailed(describe(exc), dropped=True) from None
        except Exception as exc:
            raise CallFailed(describe(exc), dropped=True) from None
        finally:
            self.in_flight -= 1
            self.used_at = time.monotonic()

    async def close(self) -> None:
        self._stop.set()
        task, self._task = self._task, None
        self._client = None
        if task is None:
            return
        try:
            async with asyncio.timeout(CLOSE_SECONDS):
                await asyncio.wait({task})
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    @property
    def idle(self) -> bool:
        return self.in_flight == 0

    async def _hold(self) -> None:
        try:
            async with self._opener(self.spec) as client:
                listed = await client.list_tools()
                self.tools = [_remote(tool) for tool in listed.tools]
                self._client = client
                self._ready.set_result(None)
                await self._stop.wait()
        except BaseException as exc:  # handed to `open`; a later drop shows on the next call
            if not self._ready.done():
                self._ready.set_exception(exc if isinstance(exc, Exception) else ConnectFailed())
            if not isinstance(exc, Exception):
                raise
        finally:
            self._client = None


def _remote(tool: Any) -> RemoteTool:
    return RemoteTool(tool.name, tool.description or "", dict(tool.input_schema or {}))


def describe(exc: BaseException) -> str:
    """A short, secret-free account of a failure: the exception's kind and message (the
    messages of exception groups unwrapped); never a command line or header."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    if isinstance(exc, MCPError):
        return exc.error.message
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__
