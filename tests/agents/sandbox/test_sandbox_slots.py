"""A process runs at most max_concurrent_runs sandboxes at once; the rest wait for a
slot and are refused as busy when none frees within queue_seconds."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from cognitia.agents.sandbox import Sandbox, SandboxBusy
from cognitia.config import SandboxSettings
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

SLEEPER = "import time; print('started', flush=True); time.sleep(60)"


@pytest.fixture(autouse=True)
def _bwrap_present() -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (./dev installs it)")


def sandbox(**limits: float) -> Sandbox:
    return Sandbox(SandboxSettings(timeout_seconds=60, max_concurrent_runs=1, **limits))


async def test_a_run_beyond_the_cap_is_refused_as_busy_after_its_wait() -> None:
    box = sandbox(queue_seconds=0.3)
    holder = asyncio.create_task(box.run(SLEEPER))
    await eventually(lambda: _running(box))
    try:
        with pytest.raises(SandboxBusy) as caught:
            await box.run("print('never')")
        assert caught.value.code == "sandbox_busy"
    finally:
        holder.cancel()
        with pytest.raises(asyncio.CancelledError):
            await holder


async def test_waiting_runs_take_the_slot_as_it_frees() -> None:
    box = sandbox(queue_seconds=60)
    results = await asyncio.gather(*(box.run(f"print({n})") for n in range(3)))
    assert [r.stdout for r in results] == ["0\n", "1\n", "2\n"]
    assert box.running == 0


async def test_a_cancelled_wait_gives_no_slot_away() -> None:
    box = sandbox(queue_seconds=60)
    holder = asyncio.create_task(box.run(SLEEPER))
    await eventually(lambda: _running(box))
    waiter = asyncio.create_task(box.run("print('late')"))
    await asyncio.sleep(0)
    waiter.cancel()
    holder.cancel()
    for task in (waiter, holder):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert box.running == 0
    assert (await box.run("print('free')")).stdout == "free\n"


async def _running(box: Sandbox) -> bool:
    return box.running == 1
