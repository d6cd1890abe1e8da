"""Periodic jobs: each period's run is enqueued once, however many schedulers run."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from cognitia.jobs.ports import JobQueue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    every_seconds: int


async def enqueue_due(queue: JobQueue, schedule: list[Periodic], now: float) -> list[str]:
    """Enqueue the current period of every periodic job; returns the names newly queued."""
    queued = []
    for item in schedule:
        period = int(now // item.every_seconds)
        if await queue.enqueue(item.name, {}, dedup_key=f"{item.name}:{period}"):
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
        next_start = min((int(now // p.every_seconds) + 1) * p.every_seconds for p in schedule)
        await asyncio.sleep(max(1.0, next_start - time.time()))
