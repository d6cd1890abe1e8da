"""Replies first (kit/priority.py): background work waits while a reply is starting, for
at most its bound, and nothing else ever waits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from prometheus_client import REGISTRY

from cognitia.kit.priority import Priority, background
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

HANG_GUARD_SECONDS = 30  # a safety net against hangs, not a measurement


def yielded_seconds() -> float:
    return REGISTRY.get_sample_value("cognitia_background_yield_seconds_total") or 0.0


async def until(condition: Callable[[], bool]) -> None:
    async def probe() -> bool:
        return condition()

    await eventually(probe, timeout=HANG_GUARD_SECONDS, interval=0.001)


async def test_background_work_waits_for_a_starting_reply_and_goes_on_after() -> None:
    priority = Priority(max_wait_seconds=HANG_GUARD_SECONDS)
    order: list[str] = []

    async def job() -> None:
        with background():
            await priority.wait_turn()
            order.append("job")

    async with asyncio.timeout(HANG_GUARD_SECONDS):
        with priority.foreground():
            task = asyncio.create_task(job())
            await until(lambda: priority.waiting == 1)
            order.append("reply started")
        await task

    assert order == ["reply started", "job"]
    assert (priority.starting, priority.waiting) == (0, 0)


async def test_a_wait_is_bounded_so_a_steady_stream_of_replies_never_stops_background_work() -> (
    None
):
    priority = Priority(max_wait_seconds=0.01)
    before = yielded_seconds()
    hold = priority.hold()  # a reply that never reaches its first token
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        with background():
            await priority.wait_turn()
    assert priority.starting == 1  # it went on although the reply still holds
    assert yielded_seconds() > before
    hold.release()


async def test_foreground_work_never_waits() -> None:
    priority = Priority(max_wait_seconds=HANG_GUARD_SECONDS)
    with priority.foreground():
        async with asyncio.timeout(HANG_GUARD_SECONDS):
            await priority.wait_turn()  # not background: returns at once
        assert priority.waiting == 0


async def test_tasks_started_by_background_work_are_background_too() -> None:
    priority = Priority(max_wait_seconds=HANG_GUARD_SECONDS)
    hold = priority.hold()
    with background():
        child = asyncio.create_task(priority.wait_turn())
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        await until(lambda: priority.waiting == 1)
        assert not child.done()
        hold.release()
        await child


async def test_a_hold_released_twice_counts_once() -> None:
    priority = Priority()
    first, second = priority.hold(), priority.hold()
    first.release()
    first.release()
    assert priority.starting == 1
    second.release()
    assert priority.starting == 0


async def test_zero_never_waits() -> None:
    priority = Priority(max_wait_seconds=0)
    hold = priority.hold()
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        with background():
            await priority.wait_turn()
    assert priority.waiting == 0
    hold.release()
