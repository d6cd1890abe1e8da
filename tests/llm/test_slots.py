"""Generation slots: people's requests are served before background work."""

from __future__ import annotations

import asyncio

import pytest

from cognitia.llm.runner.slots import Slots

pytestmark = pytest.mark.asyncio


async def take(slots: Slots, name: str, order: list[str], *, background: bool) -> None:
    await slots.acquire(background=background)
    order.append(name)


async def test_a_free_slot_is_taken_at_once() -> None:
    slots = Slots(2)
    await slots.acquire(background=True)
    await slots.acquire(background=False)
    assert slots.free == 0


async def test_interactive_waiters_go_before_background_ones() -> None:
    slots = Slots(1)
    await slots.acquire(background=False)
    order: list[str] = []
    waiters = [
        asyncio.create_task(take(slots, "extract", order, background=True)),
        asyncio.create_task(take(slots, "summary", order, background=True)),
    ]
    await asyncio.sleep(0)
    waiters.append(asyncio.create_task(take(slots, "reply", order, background=False)))
    await asyncio.sleep(0)

    for _ in range(3):
        slots.release()
        await asyncio.sleep(0)
    await asyncio.gather(*waiters)

    assert order == ["reply", "extract", "summary"]


async def test_background_work_does_not_jump_a_waiting_person() -> None:
    slots = Slots(1)
    await slots.acquire(background=True)
    order: list[str] = []
    person = asyncio.create_task(take(slots, "reply", order, background=False))
    await asyncio.sleep(0)
    slots.release()
    late = asyncio.create_task(take(slots, "extract", order, background=True))
    await asyncio.sleep(0)
    slots.release()
    await asyncio.gather(person, late)

    assert order == ["reply", "extract"]


async def test_a_cancelled_waiter_gives_its_turn_away() -> None:
    slots = Slots(1)
    await slots.acquire(background=False)
    order: list[str] = []
    gone = asyncio.create_task(take(slots, "gone", order, background=False))
    stays = asyncio.create_task(take(slots, "stays", order, background=False))
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.sleep(0)
    slots.release()
    await stays

    assert order == ["stays"]
    assert slots.free == 0
