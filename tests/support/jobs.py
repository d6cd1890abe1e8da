"""Job handlers for tests, loaded like any plugin: `jobs.extra_modules=["tests.support.jobs"]`.

Each handler leaves marker files in the directory named by its payload's "dir", holding
the id of the process that wrote them, so a test can watch a job run in a worker process.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from cognitia.db import Database
from cognitia.jobs.deferred import defer
from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import NoPayload, Payload, job
from tests.support.waiting import eventually

EXTRA_MODULES = ["tests.support.jobs"]

RECORD = "tests.record"
FLAKY = "tests.flaky"
FAILING = "tests.failing"
BLOCK_FIRST = "tests.block_first"
HOLD = "tests.hold"
HOLD_COUNTED = "tests.hold_counted"
NOOP = "tests.noop"
MAX_TRIES = 3


def mark(directory: str | Path, name: str) -> None:
    """Write a marker atomically, so a reader never sees it empty."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}.{os.getpid()}"
    partial.write_text(str(os.getpid()))
    partial.replace(folder / name)


def marker(directory: str | Path, name: str) -> int | None:
    """The id of the process that wrote the marker, or None."""
    path = Path(directory) / name
    return int(path.read_text()) if path.exists() else None


def attempts(directory: str | Path) -> int:
    return len(list(Path(directory).glob("attempt-*")))


async def wait_for_marker(directory: str | Path, name: str) -> int:
    """Wait until the marker appears; returns the id of the process that wrote it."""

    async def probe() -> int | None:
        return marker(directory, name)

    return await eventually(probe, timeout=60)


class Rollback(Exception):
    pass


class Marks(Payload):
    """Where a test job leaves its markers, and what to call or count them."""

    dir: str
    name: str = "done"
    failures: int = 0
    key: int = 0


async def defer_and_roll_back(db: Database, name: str, payload: Payload) -> None:
    """Defer a job in a unit of work that then fails (raises Rollback)."""
    async with db.unit_of_work() as session:
        defer(session, name, payload)
        raise Rollback


def _next_attempt(directory: str) -> int:
    attempt = attempts(directory) + 1
    mark(directory, f"attempt-{attempt}")
    return attempt


@job(RECORD, Marks)
async def record(ctx: JobContext, payload: Marks) -> None:
    mark(payload.dir, payload.name)


@job(FLAKY, Marks, max_tries=MAX_TRIES, backoff_seconds=0.01)
async def flaky(ctx: JobContext, payload: Marks) -> None:
    """Fails its first `failures` attempts, then marks "done"."""
    attempt = _next_attempt(payload.dir)
    if attempt <= payload.failures:
        raise RuntimeError(f"failure {attempt}")
    mark(payload.dir, "done")


@job(FAILING, Marks, max_tries=MAX_TRIES, backoff_seconds=0.01)
async def failing(ctx: JobContext, payload: Marks) -> None:
    attempt = _next_attempt(payload.dir)
    raise RuntimeError(f"failure {attempt}")


@job(BLOCK_FIRST, Marks)
async def block_first(ctx: JobContext, payload: Marks) -> None:
    """First delivery: mark "started" and hang until the test kills the process; then "done"."""
    if marker(payload.dir, "started") is None:
        mark(payload.dir, "started")
        await asyncio.Event().wait()
    mark(payload.dir, "done")


@job(HOLD, Marks)
async def hold(ctx: JobContext, payload: Marks) -> None:
    """Mark "started-<key>", wait for the test to mark "release-<key>", mark "done-<key>"."""
    key = payload.key
    mark(payload.dir, f"started-{key}")
    await wait_for_marker(payload.dir, f"release-{key}")
    mark(payload.dir, f"done-{key}")


@job(HOLD_COUNTED, Marks)
async def hold_counted(ctx: JobContext, payload: Marks) -> None:
    """Mark "attempt-<n>" for each run, wait for the test to mark "release", mark "done"."""
    _next_attempt(payload.dir)
    await wait_for_marker(payload.dir, "release")
    mark(payload.dir, "done")


@job(NOOP, NoPayload)
async def noop(ctx: JobContext, payload: NoPayload) -> None:
    return None
