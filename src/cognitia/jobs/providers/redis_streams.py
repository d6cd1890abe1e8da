"""The distributed queue: taskiq on Redis Streams.

Why taskiq: it is asyncio-native (our handlers are async and share the API's code),
and its Redis Streams broker acknowledges a message only after the task ran; a
message whose worker died stays pending in the consumer group and is claimed again
by a live worker once it has been idle `redelivery_seconds` (XAUTOCLAIM). Celery's
async story is threads, and arq re-runs a lost job only after its whole timeout.

Retries with backoff happen inside the task (the message stays unacknowledged, so a
worker killed between tries still loses nothing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy.ext.asyncio import AsyncSession
from taskiq import AckableMessage
from taskiq.acks import AcknowledgeType
from taskiq.api import run_receiver_task
from taskiq_redis import RedisStreamBroker

from cognitia.jobs import deferred, registry
from cognitia.jobs.execution import run_attempt
from cognitia.jobs.ports import JobContext
from cognitia.observability.metrics import JOBS_ENQUEUED

log = logging.getLogger(__name__)

TASK_NAME = "cognitia.run_job"
# Acknowledged messages stay in the stream until trimmed; keep a generous tail.
STREAM_MAXLEN = 1_000_000

_Entry = tuple[bytes, dict[bytes, bytes]]  # a stream entry: id and fields


class ReclaimingStreamBroker(RedisStreamBroker):
    """RedisStreamBroker that looks for abandoned messages after every read, empty or not,
    and keeps the messages it runs from looking abandoned.

    taskiq-redis (1.2) runs XAUTOCLAIM only after a read that returned new messages, so a
    job whose worker died would wait for the next job to be queued. XAUTOCLAIM needs no
    lock: claiming resets a message's idle time, so only one consumer gets it.

    A message's idle time grows from its delivery, so a job running longer than the
    redelivery time would be claimed and run a second time beside the first. While a
    message is held here it is claimed again by its own consumer every third of that time
    (XCLAIM JUSTID: idle reset, delivery count kept); a worker that dies stops doing so.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._beats: set[asyncio.Task[None]] = set()

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        async with Redis(connection_pool=self.connection_pool) as redis:
            while True:
                fetched = await redis.xreadgroup(
                    self.consumer_group_name,
                    self.consumer_name,
                    {self.queue_name: ">"},
                    block=self.block,
                    count=self.count,
                )
                for _stream, entries in cast(list[tuple[bytes, list[_Entry]]], fetched or []):
                    for message in self._ackable(entries):
                        yield message
                reclaimed = await redis.xautoclaim(
                    self.queue_name,
                    self.consumer_group_name,
                    self.consumer_name,
                    min_idle_time=self.idle_timeout,
                    count=self.unacknowledged_batch_size,
                )
                for message in self._ackable(cast(list[_Entry], reclaimed[1])):
                    yield message

    def _ackable(self, entries: list[_Entry]) -> list[AckableMessage]:
        return [self._held(entry_id.decode(), fields[b"data"]) for entry_id, fields in entries]

    def _held(self, entry_id: str, data: bytes) -> AckableMessage:
        beat = asyncio.create_task(self._keep_claimed(entry_id), name=f"hold {entry_id}")
        self._beats.add(beat)
        beat.add_done_callback(self._beats.discard)
        ack = self._ack_generator(entry_id, self.queue_name)

        async def acknowledge() -> None:
            beat.cancel()
            await ack()

        return AckableMessage(data=data, ack=acknowledge)

    async def _keep_claimed(self, entry_id: str) -> None:
        every = max(0.05, self.idle_timeout / 3000)
        async with Redis(connection_pool=self.connection_pool) as redis:
            while True:
                await asyncio.sleep(every)
                try:
                    await redis.xclaim(
                        self.queue_name,
                        self.consumer_group_name,
                        self.consumer_name,
                        min_idle_time=0,
                        message_ids=[entry_id],
                        justid=True,
                    )
                except Exception:  # Redis away: the next beat tries again
                    log.warning("could not renew job message %s", entry_id, exc_info=True)

    async def shutdown(self) -> None:
        for beat in list(self._beats):
            beat.cancel()
        await super().shutdown()


class RedisStreamJobQueue:
    def __init__(self, redis_url: str, *, queue_name: str, redelivery_seconds: float) -> None:
        idle_ms = int(redelivery_seconds * 1000)
        self.broker = ReclaimingStreamBroker(
            redis_url,
            queue_name=queue_name,
            consumer_group_name="cognitia",
            # Read from the stream's start so messages sent before a group exists are not skipped.
            consumer_id="0",
            idle_timeout=idle_ms,
            xread_block=max(100, min(2000, idle_ms // 2)),
            # One message per read, and only when a task slot is free: a message read but not
            # started would grow idle, and another worker would take it and run it too.
            xread_count=1,
            unacknowledged_batch_size=1,
            maxlen=STREAM_MAXLEN,
        )
        self.redis: Redis = Redis.from_url(redis_url)
        self.ctx: JobContext | None = None

        # A plain function: taskiq renames what it registers, which a bound method refuses.
        async def run_job(name: str, payload: dict[str, Any]) -> None:
            await self._run(name, payload)

        self._task = self.broker.register_task(run_job, task_name=TASK_NAME)
        self._started = False

    async def start(self) -> None:
        if not self._started:
            await self.broker.startup()
            self._started = True

    async def enqueue(
        self, name: str, payload: dict[str, Any], *, dedup_key: str | None = None
    ) -> bool:
        registry.get(name)
        marker = f"cognitia:dedup:{dedup_key}" if dedup_key else None
        if marker and not await self.redis.set(marker, 1, nx=True, ex=86400):
            return False
        try:
            await self.start()
            await self._task.kiq(name, payload)
        except BaseException:
            if marker:  # not sent: let the next scheduler tick try this period again
                await self.redis.delete(marker)
            raise
        JOBS_ENQUEUED.labels(name).inc()
        return True

    async def backlog(self) -> dict[str, int]:
        """Messages the group has not read yet (`lag`) plus those read but not acknowledged
        (running or retrying): the names are inside the messages, so one count."""
        try:
            groups = await self.redis.xinfo_groups(self.broker.queue_name)
        except ResponseError:  # no stream yet: nothing was ever queued
            return {"all": 0}
        ours = [g for g in groups if g["name"] == b"cognitia"]
        if not ours:
            return {"all": int(await self.redis.xlen(self.broker.queue_name))}
        return {"all": int(ours[0]["lag"] or 0) + int(ours[0]["pending"])}

    async def before_commit(self, session: AsyncSession) -> None:
        return None

    async def after_commit(self, session: AsyncSession) -> None:
        for job in deferred.take(session):
            await self.enqueue(job.name, job.payload)

    async def _run(self, name: str, payload: dict[str, Any]) -> None:
        """The taskiq task: every try of one job, with backoff between them."""
        if self.ctx is None:
            raise RuntimeError("worker started without a job context")
        spec = registry.get(name)
        for attempt in range(1, spec.max_tries + 1):
            try:
                await run_attempt(self.ctx, name, payload, attempt)
                return
            except Exception:
                if attempt == spec.max_tries:
                    log.error("job gave up", extra={"job": name, "attempts": attempt})
                    return
                await asyncio.sleep(spec.retry_delay(attempt))

    async def work(self, ctx: JobContext, *, concurrency: int) -> None:
        """Consume jobs until cancelled (the `cognitia worker` process)."""
        self.ctx = ctx
        await self.start()
        await run_receiver_task(
            self.broker,
            max_async_tasks=concurrency,
            ack_time=AcknowledgeType.WHEN_EXECUTED,
            run_startup=False,
        )

    async def close(self) -> None:
        if self._started:
            await self.broker.shutdown()
        await self.redis.aclose()
