"""Redis pub/sub EventBus: live events shared by every API process.

An event published by one process reaches the subscribers of every process. Each bus
holds one pub/sub connection for all its channels (not one per subscriber, so a process
can hold thousands of streams): it SUBSCRIBEs a channel when its first local subscriber
arrives and UNSUBSCRIBEs when the last one leaves, and one reader task hands what Redis
sends to the local subscribers (memory.py's bounded inboxes, so a slow reader drops its
oldest events and never stalls the others). Redis channels are named
`cognitia:events:<channel>`; events are JSON.

Delivery is at most once: what is published while a subscription is not yet live, or
while the connection to Redis is being re-established, is not seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Coroutine, Iterable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from cognitia.events.providers.memory import DEFAULT_QUEUE_SIZE, Fanout, Inbox, Subscription

log = logging.getLogger(__name__)

PREFIX = "cognitia:events:"


def _resolve(futures: Iterable[asyncio.Future[None]], error: BaseException | None = None) -> None:
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


async def _nothing() -> None:
    return None


class RedisEventBus:
    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = PREFIX,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        idle_seconds: float = 30.0,
        subscribe_timeout_seconds: float = 10.0,
    ) -> None:
        """`redis` stays the caller's to close; `idle_seconds` of silence sends a PING,
        and twice that without an answer counts the connection as lost. `ready()` raises
        TimeoutError when Redis has not confirmed a subscription in
        `subscribe_timeout_seconds`."""
        self._redis = redis
        self._pubsub = redis.pubsub()
        self._prefix = prefix
        self._fanout = Fanout(queue_size)
        self._idle_seconds = idle_seconds
        self._subscribe_timeout = subscribe_timeout_seconds
        self._lock = asyncio.Lock()  # one pub/sub command at a time, in order
        self._requested: set[str] = set()  # SUBSCRIBE sent
        self._live: set[str] = set()  # ... and confirmed by Redis
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        # Per channel, one batch of waiters per SUBSCRIBE sent, in the order sent.
        self._confirming: dict[str, deque[list[asyncio.Future[None]]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        await self._redis.publish(self._prefix + channel, json.dumps(event))

    def subscribe(self, channel: str) -> Subscription:
        if self._closed:
            inbox = Inbox(1)
            inbox.close()
            return Subscription(inbox, ready=_nothing, on_close=_nothing)
        inbox = self._fanout.add(channel)

        async def unsubscribe() -> None:
            self._fanout.remove(channel, inbox)
            await self._sync(channel)

        if channel in self._live:
            return Subscription(inbox, ready=_nothing, on_close=unsubscribe)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(channel, []).append(future)
        self._spawn(self._sync(channel))

        async def ready() -> None:
            async with asyncio.timeout(self._subscribe_timeout):
                await asyncio.shield(future)

        return Subscription(inbox, ready=ready, on_close=unsubscribe)

    def subscribers(self, channel: str) -> int:
        """How many subscriptions of this bus listen on `channel`."""
        return self._fanout.count(channel)

    async def close(self) -> None:
        """End every subscription, stop reading and give the connection back."""
        if self._closed:
            return
        self._closed = True
        self._fanout.close()
        for waiting in self._waiting.values():
            _resolve(waiting)
        for batches in self._confirming.values():
            for batch in batches:
                _resolve(batch)
        tasks = [*self._tasks, *([self._reader] if self._reader else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._pubsub.aclose()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sync(self, channel: str) -> None:
        """Make Redis's subscription to `channel` match whether anyone here listens."""
        async with self._lock:
            if self._closed:
                return
            wanted = self._fanout.count(channel) > 0
            if wanted and channel not in self._requested:
                await self._send_subscribe(channel)
            elif wanted:
                waiting = self._waiting.pop(channel, [])
                batches = self._confirming.get(channel)
                if channel in self._live or not batches:
                    _resolve(waiting)
                else:
                    batches[-1].extend(waiting)  # ready with the SUBSCRIBE in flight
            else:
                _resolve(self._waiting.pop(channel, []))  # their subscriptions closed
                if channel in self._requested:
                    self._requested.discard(channel)
                    self._live.discard(channel)
                    await self._pubsub.unsubscribe(self._prefix + channel)

    async def _send_subscribe(self, channel: str) -> None:
        # Recorded before sending: the reader may see Redis's answer before we resume.
        batch = self._waiting.pop(channel, [])
        batches = self._confirming.setdefault(channel, deque())
        batches.append(batch)
        self._requested.add(channel)
        try:
            await self._pubsub.subscribe(self._prefix + channel)
        except RedisError as error:
            log.warning("events: could not subscribe to %s: %s", channel, error)
            self._requested.discard(channel)
            with contextlib.suppress(ValueError):
                batches.remove(batch)
            if not batches:
                del self._confirming[channel]
            _resolve(batch, error)
            return
        if self._reader is None:
            self._reader = asyncio.create_task(self._read(), name="event-bus-reader")

    async def _read(self) -> None:
        heard = time.monotonic()
        while True:
            try:
                message = await self._pubsub.get_message(timeout=self._idle_seconds)
            except RedisError as error:  # redis-py reconnects and resubscribes on the next read
                log.warning("events: lost the Redis pub/sub connection: %s", error)
                await asyncio.sleep(min(1.0, self._idle_seconds))
                continue
            except Exception:  # never let the one reader die: every watcher would go deaf
                log.exception("events: reading from Redis failed")
                await asyncio.sleep(min(1.0, self._idle_seconds))
                continue
            if message is not None:
                heard = time.monotonic()
                self._handle(message)
            elif time.monotonic() - heard > 2 * self._idle_seconds:
                log.warning("events: Redis pub/sub connection silent; reconnecting")
                heard = time.monotonic()
                if self._pubsub.connection is not None:
                    await self._pubsub.connection.disconnect()
            else:
                async with self._lock:
                    with contextlib.suppress(RedisError):
                        await self._pubsub.ping()

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        key = message.get("channel")
        if isinstance(key, bytes):
            key = key.decode()
        if not isinstance(key, str) or not key.startswith(self._prefix):
            return
        channel = key.removeprefix(self._prefix)
        if kind == "message":
            data = message["data"]
            self._fanout.deliver(channel, data.decode() if isinstance(data, bytes) else data)
        elif kind == "subscribe":
            self._confirmed(channel)

    def _confirmed(self, channel: str) -> None:
        batches = self._confirming.get(channel)
        if batches:
            _resolve(batches.popleft())
            if batches:
                return  # a later SUBSCRIBE of this channel is still unanswered
            del self._confirming[channel]
        if channel in self._requested:
            self._live.add(channel)
