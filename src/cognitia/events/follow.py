"""Following one bus channel for the life of a process, through lost connections."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from cognitia.events.ports import EventBus

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
START_TIMEOUT_SECONDS = 2.0

Handler = Callable[[dict[str, Any]], Awaitable[None]]


async def start(bus: EventBus, channel: str, handle: Handler) -> asyncio.Task[None]:
    """A task handing every event on `channel` to `handle`, resubscribing after a failure;
    returns once it listens, or once its first try failed (it keeps trying)."""
    tried: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(_follow(bus, channel, handle, tried), name=f"follow {channel}")
    await asyncio.wait({tried}, timeout=START_TIMEOUT_SECONDS)
    return task


async def _follow(
    bus: EventBus, channel: str, handle: Handler, tried: asyncio.Future[None]
) -> None:
    delay = RETRY_SECONDS
    while True:
        try:
            await _once(bus, channel, handle, tried)
            delay = RETRY_SECONDS
        except Exception as exc:
            log.warning("following %s failed (%s); retrying in %ss", channel, exc, delay)
        if not tried.done():
            tried.set_result(None)
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_RETRY_SECONDS)


async def _once(bus: EventBus, channel: str, handle: Handler, tried: asyncio.Future[None]) -> None:
    subscription = bus.subscribe(channel)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(subscription.aclose)
        await subscription.ready()
        if not tried.done():
            tried.set_result(None)
        async for item in subscription:
            await handle(item)
