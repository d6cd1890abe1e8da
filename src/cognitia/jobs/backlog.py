"""The queue's backlog as a metric: how far background work (memory indexing, fact
extraction, ingestion) is behind, so an operator sees it lag and sees it drain."""

from __future__ import annotations

import asyncio
import logging

from cognitia.jobs.ports import JobQueue
from cognitia.observability.metrics import JOBS_BACKLOG

log = logging.getLogger(__name__)

# How often each API or worker process reads the backlog (one grouped count).
READ_EVERY_SECONDS = 1.0


async def refresh(queue: JobQueue, seen: set[str]) -> None:
    """Set cognitia_jobs_backlog from the queue; names that drained go back to 0."""
    counts = await queue.backlog()
    for name in seen - counts.keys():
        JOBS_BACKLOG.labels(name).set(0)
    for name, count in counts.items():
        JOBS_BACKLOG.labels(name).set(count)
    seen.update(counts)


async def watch(queue: JobQueue, every: float = READ_EVERY_SECONDS) -> None:
    """Keep the metric current until cancelled; a failed read is logged and retried."""
    seen: set[str] = set()
    while True:
        try:
            await refresh(queue, seen)
        except Exception:
            log.warning("reading the job backlog failed", exc_info=True)
        await asyncio.sleep(every)
