"""A shutdown step that hangs is cut short and logged with the stacks of every task."""

from __future__ import annotations

import asyncio
import logging

import pytest

from cognitia.app import _bounded

pytestmark = pytest.mark.asyncio


async def test_a_hanging_step_is_bounded_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    never = asyncio.Event()
    with caplog.at_level(logging.ERROR, logger="cognitia.app"):
        async with _bounded("waiting for nothing", 0.05):
            await never.wait()
    [record] = [r for r in caplog.records if r.getMessage() == "shutdown step timed out"]
    assert record.step == "waiting for nothing"  # type: ignore[attr-defined]
    assert any("test_a_hanging_step" in stack for stack in record.tasks.values())  # type: ignore[attr-defined]


async def test_a_step_that_finishes_is_untouched(caplog: pytest.LogCaptureFixture) -> None:
    async with _bounded("quick", 5):
        await asyncio.sleep(0)
    assert not [r for r in caplog.records if r.getMessage() == "shutdown step timed out"]
