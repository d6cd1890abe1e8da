"""Periodic jobs: each period's run is enqueued once, however many schedulers run.

A period starts every `every_seconds` from the epoch, moved by `offset_seconds`: a
daily job at 00:05 UTC is `Periodic(name, 86400, offset_seconds=300)`. The period's
number is the dedup key, so schedulers that wake in the same period queue it once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from cognitia.jobs.ports import JobQueue

log = logging.getLogger(__name__)
DAY = 86_400


@dataclass(frozen=True)
class Periodic:
    name: str
    every_seconds: int
    offset_seconds: int = 0  # where in the period the run starts (a time of day)

    def period(self, now: float) -> int:
        return int((now - self.offset_seconds) // self.every_seconds)

    def next_start(self, now: float) -> float:
        return float((self.period(now) + 1) * self.every_seconds + self.offset_seconds)


def daily(name: str, *, hour: int, minute: int = 0) -> Periodic:
    """A job once a day at hour:minute UTC."""
    return Periodic(name, DAY, offset_seconds=hour * 3600 + minute * 60)


async def enqueue_due(queue: JobQueue, schedule: list[Periodic], now: float) -> list[str]:
    """Enqueue the current period of every periodic job; returns the names newly queued."""
    queued = []
    for item in schedule:
        if await queue.enqueue(item.name, {}, dedup_key=f"{item.name}:{item.period(now)}"):
            queued.append(item.name)
    return queued


async def run_schedule(queue: JobQueue, schedule: list[Periodic]) -> None:
    """Loop forever, waking at the start of the next period."""
    if not schedule:
        return
    while True:
        now = time.time()
        try:
            await enqueue_due(queue, schedule, now)
        except Exception:
            log.exception("scheduling periodic jobs failed")
        next_start = min(p.next_start(now) for p in schedule)
        await asyncio.sleep(max(1.0, next_start - time.time()))
