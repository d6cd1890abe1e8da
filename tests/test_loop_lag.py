"""The loop-lag guard (tests/support/loop_lag.py) sees a callback that computes on the loop,
and not one that waits as long without computing."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest

from tests.support import loop_lag

pytestmark = [pytest.mark.asyncio, pytest.mark.loop_may_block]


def _burn_cpu(seconds: float) -> None:
    """Hash until `seconds` of this thread's CPU time are spent."""
    until = time.thread_time() + seconds
    digest = b""
    while time.thread_time() < until:
        digest = hashlib.sha256(digest).digest()


async def test_a_callback_that_computes_on_the_loop_is_reported() -> None:
    with loop_lag.watch() as report:
        await asyncio.sleep(0)  # what follows runs in a new callback, one the guard times
        _burn_cpu(0.2)
        await asyncio.sleep(0)

    assert len(report.slow) == 1
    assert "test_a_callback_that_computes_on_the_loop_is_reported" in report.slow[0].callback
    assert report.slow[0].cpu_seconds >= 0.2


async def test_waiting_and_work_in_a_thread_are_not_reported() -> None:
    with loop_lag.watch() as report:
        await asyncio.sleep(0.2)
        await asyncio.to_thread(_burn_cpu, 0.2)

    assert report.slow == []
