"""Running one attempt of a job, the same way on every backend."""

from __future__ import annotations

import logging
import time
from typing import Any

from cognitia.jobs import registry
from cognitia.jobs.ports import JobContext
from cognitia.observability.metrics import JOB_DURATION, JOBS

log = logging.getLogger(__name__)


async def run_attempt(ctx: JobContext, name: str, payload: dict[str, Any], attempt: int) -> None:
    """Run the handler once on the payload as queued (validated into its type); record the
    outcome; let its exception through."""
    spec = registry.get(name)
    started = time.perf_counter()
    try:
        await spec.run(ctx, payload)
    except Exception:
        JOBS.labels(name, "error").inc()
        log.exception("job failed", extra={"job": name, "attempt": attempt})
        raise
    finally:
        JOB_DURATION.labels(name).observe(time.perf_counter() - started)
    JOBS.labels(name, "ok").inc()
    log.info("job done", extra={"job": name, "attempt": attempt})
