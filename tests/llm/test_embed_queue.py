"""The runner's embedding queue: a reply's query is embedded before queued indexing, and
requests that wait together share one forward pass."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import numpy.typing as npt
import pytest

from cognitia.llm.runner.embed_queue import EmbedQueue

pytestmark = pytest.mark.asyncio
HANG_GUARD_SECONDS = 30  # a safety net against hangs, not a measurement
Embedding = asyncio.Task[list[list[float]]]


class Encoder:
    """Encodes each text as [its length, pass number]; the first pass waits for `go`."""

    def __init__(self) -> None:
        self.passes: list[list[str]] = []
        self.started = threading.Event()
        self.go = threading.Event()

    def __call__(self, texts: list[str]) -> npt.NDArray[np.float32]:
        self.passes.append(texts)
        self.started.set()
        self.go.wait(HANG_GUARD_SECONDS)
        if any(t == "boom" for t in texts):
            raise ValueError("cannot encode boom")
        number = len(self.passes)
        return np.array([[len(t), number] for t in texts], dtype=np.float32)


async def queued(queue: EmbedQueue, texts: list[str], *, background: bool) -> Embedding:
    task = asyncio.create_task(queue.embed(texts, background=background))
    await asyncio.sleep(0)  # let it reach the queue (no timing: one step of the loop)
    return task


async def busy_queue(encoder: Encoder) -> tuple[EmbedQueue, Embedding]:
    """A queue whose first pass (one background text) is running and held."""
    queue = EmbedQueue(encoder, max_texts=8)
    first = await queued(queue, ["indexing"], background=True)
    await asyncio.to_thread(encoder.started.wait, HANG_GUARD_SECONDS)
    return queue, first


async def test_queries_go_before_waiting_background_work_and_share_a_pass() -> None:
    encoder = Encoder()
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        queue, first = await busy_queue(encoder)
        later = await queued(queue, ["more indexing", "and more"], background=True)
        one = await queued(queue, ["hi"], background=False)
        two = await queued(queue, ["hello"], background=False)
        encoder.go.set()
        results = await asyncio.gather(first, later, one, two)

    assert encoder.passes == [["indexing"], ["hi", "hello"], ["more indexing", "and more"]]
    assert results[2] == [[2.0, 2.0]]
    assert results[3] == [[5.0, 2.0]]
    assert results[1] == [[13.0, 3.0], [8.0, 3.0]]
    assert queue.passes == 3


async def test_a_pass_holds_whole_requests_up_to_its_size() -> None:
    encoder = Encoder()
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        queue, first = await busy_queue(encoder)
        big = await queued(queue, [f"t{i}" for i in range(6)], background=True)
        small = await queued(queue, ["a", "b", "c"], background=True)
        encoder.go.set()
        await asyncio.gather(first, big, small)

    assert [len(p) for p in encoder.passes] == [1, 6, 3]  # 6 + 3 is over max_texts (8)


async def test_a_failed_pass_fails_its_requests_only() -> None:
    encoder = Encoder()
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        queue, first = await busy_queue(encoder)
        bad = await queued(queue, ["boom"], background=False)
        fine = await queued(queue, ["fine text"], background=True)
        encoder.go.set()
        await first
        with pytest.raises(ValueError, match="boom"):
            await bad
        assert await fine == [[9.0, 3.0]]


async def test_a_request_whose_caller_left_is_not_encoded() -> None:
    encoder = Encoder()
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        queue, first = await busy_queue(encoder)
        gone = await queued(queue, ["never mind"], background=False)
        gone.cancel()
        kept = await queued(queue, ["kept"], background=True)
        encoder.go.set()
        await asyncio.gather(first, kept)

    assert encoder.passes == [["indexing"], ["kept"]]
