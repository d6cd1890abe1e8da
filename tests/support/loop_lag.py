"""A guard against CPU-bound work on the event loop: a test fails when one callback of the
loop keeps it busy for more than `BLOCKING_THRESHOLD_S` (100 ms).

What is measured is the CPU time the loop's thread spends inside one callback (one step of
a task, one I/O callback), not wall time: on a loaded CI machine (two shared cores) a
callback can be descheduled for longer than that by other processes, which says nothing
about our code, and asyncio's debug mode (`slow_callback_duration`) times wall clock. CPU
time inside one callback grows only with the work done there: chunking, parsing, hashing,
decoding a large text. Blocking system calls that use no CPU (a synchronous file read,
`time.sleep`) are not seen here; ruff's ASYNC rules look for those.

Only callbacks run on the main thread are timed, where pytest-asyncio runs the tests' loop:
the fake upstream and other servers started by tests run their own loops in threads. Time
the garbage collector spends on that thread is left out, and a sampling thread notes where
a slow callback was, so a report points at the code.

`watch()` is the guard itself, used by tests/knowledge/test_large_upload.py. `pytest
--loop-lag` applies it to every test (the `loop_lag` fixture, autouse); it is not on by
default because a test's own code runs on the loop as well (building sample files, say),
and so does FastAPI's first match of each route in a new app (about 0.1 s, once per
process in production, once per test here). A test that blocks the loop on purpose is
marked `@pytest.mark.loop_may_block`.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

BLOCKING_THRESHOLD_S = 0.1
MARKER = "loop_may_block"
OPTION = "--loop-lag"


@dataclass(frozen=True)
class SlowCallback:
    callback: str
    cpu_seconds: float
    stack: str = ""
    """Where the loop's thread was once the callback had run past the threshold (best
    effort: empty when the sampling thread got no CPU in time, on a busy machine)."""


@dataclass
class LoopLagReport:
    threshold_s: float
    slow: list[SlowCallback] = field(default_factory=list)

    def describe(self) -> str:
        worst = sorted(self.slow, key=lambda s: -s.cpu_seconds)[:3]
        lines = [f"  {s.cpu_seconds * 1000:.0f} ms CPU in {s.callback}\n{s.stack}" for s in worst]
        return (
            f"{len(self.slow)} event-loop callback(s) ran longer than"
            f" {self.threshold_s * 1000:.0f} ms of CPU (work that belongs in a thread"
            " or a process):\n" + "\n".join(lines)
        )


def _describe(handle: asyncio.Handle) -> str:
    # A task's step is a bound method of the task: its repr names the coroutine.
    owner = getattr(getattr(handle, "_callback", None), "__self__", None)
    text = repr(owner) if isinstance(owner, asyncio.Task) else repr(handle)
    return text[:300]


class _Sampler:
    """A thread that notes the loop thread's stack while one callback runs long, so a
    report says where the time went, not only which task."""

    def __init__(self, thread_id: int, after_s: float) -> None:
        self.thread_id, self.after_s = thread_id, after_s
        self.started: float | None = None
        self.stack = ""
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="loop-lag-sampler", daemon=True)

    def _run(self) -> None:
        while not self.stopped.wait(self.after_s / 10):
            started = self.started
            if started is not None and time.monotonic() - started > self.after_s:
                frame = sys._current_frames().get(self.thread_id)
                if frame is not None and self.started == started:
                    self.stack = "".join(traceback.format_stack(frame, limit=12))


@contextmanager
def watch(threshold_s: float = BLOCKING_THRESHOLD_S) -> Iterator[LoopLagReport]:
    """Time every callback run on this thread's event loops while inside the block."""
    report = LoopLagReport(threshold_s)
    # Handle._run is the single place where asyncio's pure-Python loop runs a callback
    # (TimerHandle inherits it); debug mode's own timing wraps the same call.
    original: Callable[[asyncio.Handle], Any] = asyncio.Handle._run
    sampler = _Sampler(threading.get_ident(), threshold_s)

    collector = _CollectorClock(sampler.thread_id)

    def timed_run(handle: asyncio.Handle) -> Any:
        if threading.get_ident() != sampler.thread_id:
            return original(handle)
        sampler.stack, sampler.started = "", time.monotonic()
        started, collected = time.thread_time(), collector.spent
        try:
            return original(handle)
        finally:
            spent = time.thread_time() - started - (collector.spent - collected)
            sampler.started = None
            if spent > threshold_s:
                report.slow.append(SlowCallback(_describe(handle), spent, sampler.stack))

    asyncio.Handle._run = timed_run  # type: ignore[method-assign, assignment]
    gc.callbacks.append(collector)
    sampler.thread.start()
    try:
        yield report
    finally:
        asyncio.Handle._run = original  # type: ignore[method-assign, assignment]
        gc.callbacks.remove(collector)
        sampler.stopped.set()
        sampler.thread.join()


class _CollectorClock:
    """CPU time the garbage collector took on the loop's thread. It is left out of a
    callback's time: a full collection's length depends on everything the process
    holds (a whole test session's objects), not on the callback it happens to interrupt."""

    def __init__(self, thread_id: int) -> None:
        self.thread_id = thread_id
        self.spent = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if threading.get_ident() != self.thread_id:
            return
        if phase == "start":
            self._started = time.thread_time()
        else:
            self.spent += time.thread_time() - self._started


@pytest.fixture(autouse=True)
def loop_lag(request: pytest.FixtureRequest) -> Iterator[LoopLagReport | None]:
    """With `--loop-lag`: fail any test during which a loop callback ran over the threshold."""
    if not request.config.getoption(OPTION) or request.node.get_closest_marker(MARKER):
        yield None
        return
    with watch() as report:
        yield report
    if report.slow:
        pytest.fail(report.describe(), pytrace=False)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        OPTION,
        action="store_true",
        help="fail a test when an event-loop callback runs over 100 ms of CPU (loop_lag.py)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: the test blocks the event loop on purpose (no --loop-lag check)"
    )
