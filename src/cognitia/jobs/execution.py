"""Running one attempt of a job, the same way on every backend."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from cognitia.jobs import registry
from cognitia.observability.metrics import JOB_DURATION, JOBS

if TYPE_CHECKING:
    from cognitia.runtime import Runtime

log = logging.getLogger(__name__)


async def run_attempt(runtime: Runtime, name: str, payload: dict[str, Any], attempt: int) -> None:
    """Run the handler once; record the outcome; let its exception through."""
    spec = registry.get(name)
    started = time.perf_counter()
    try:
        await spec.handler(runtime, payload)
    except Exception:
        JOBS.labels(name, "error").inc()
        log.exception("job failed", extra={"job": name, "attempt": attempt})
        raise
    finally:
        JOB_DURATION.labels(name).observe(time.perf_counter() - started)
    JOBS.labels(name, "ok").inc()
    log.info("job done", extra={"job": name, "attempt": attempt})
